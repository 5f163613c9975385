import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { newRecordId } from '../lib/id';

/**
 * Thumbnails as PocketBase makes them (tools/filesystem CreateThumb), with sharp: made on first
 * request, kept next to the file, served from disk after that. Sizes:
 * `WxH` crop from the centre, `WxHt` from the top, `WxHb` from the bottom, `WxHf` fit inside without
 * cropping or enlarging, `0xH` / `Wx0` resize keeping the aspect ratio. Only the first frame of an
 * animation; EXIF orientation applied. JPEG and GIF stay what they are, everything else becomes PNG.
 */
export const THUMB_SIZE = /^(\d+)x(\d+)([tbf])?$/;

/** Image types thumbs are made for; anything else is served as it is. */
export const THUMB_SOURCE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/** The sizes every file field offers besides its own `thumbs` (PocketBase's default). */
export const DEFAULT_THUMBS = ['100x100'];

/**
 * Sources above this many pixels get no thumb (the original is served): a small PNG can decode to
 * gigabytes (a decompression bomb), and every render holds libuv's threadpool, which file reads and
 * password hashing share.
 */
export const MAX_SOURCE_PIXELS = 50_000_000;

const inFlight = new Map<string, Promise<boolean>>();
/** Thumbs that could not be made, by target and source version: not retried until the file changes. */
const failed = new Set<string>();
/** Renders run one at a time. */
let queue: Promise<unknown> = Promise.resolve();

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function render(source: string, target: string, size: string, mime: string): Promise<void> {
  const m = THUMB_SIZE.exec(size);
  if (!m) throw new Error(`Invalid thumb size ${size}.`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width === 0 && height === 0) throw new Error('A thumb needs a width or a height.');
  let image = sharp(source, { pages: 1, limitInputPixels: MAX_SOURCE_PIXELS }).rotate();
  if (width === 0 || height === 0) {
    image = image.resize(width || null, height || null);
  } else if (m[3] === 'f') {
    image = image.resize(width, height, { fit: 'inside', withoutEnlargement: true });
  } else {
    const position = m[3] === 't' ? 'top' : m[3] === 'b' ? 'bottom' : 'centre';
    image = image.resize(width, height, { fit: 'cover', position });
  }
  image = mime === 'image/jpeg' ? image.jpeg() : mime === 'image/gif' ? image.gif() : image.png();
  const bytes = await image.toBuffer();
  await mkdir(dirname(target), { recursive: true });
  // Written aside and renamed: a reader never sees half a thumb.
  const partial = `${target}.${newRecordId(8)}.part`;
  try {
    await writeFile(partial, bytes);
    await rename(partial, target);
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * Makes the thumb at `target` unless it exists; true when it is there afterwards. Concurrent
 * requests for the same thumb share one rendering. An image sharp cannot read gives false (the
 * caller serves the original, as PocketBase does).
 */
export function ensureThumb(
  source: { path: string; version: string; mime: string },
  target: string,
  size: string,
  onError: (err: unknown) => void,
): Promise<boolean> {
  const running = inFlight.get(target);
  if (running) return running;
  const key = `${target}\n${source.version}`;
  if (failed.has(key)) return Promise.resolve(false);
  const job = (async () => {
    if (await exists(target)) return true;
    const rendering = queue.then(() => render(source.path, target, size, source.mime));
    queue = rendering.catch(() => undefined);
    try {
      await rendering;
      return true;
    } catch (err) {
      if (failed.size >= 10_000) failed.clear();
      failed.add(key);
      onError(err);
      return false;
    }
  })().finally(() => inFlight.delete(target));
  inFlight.set(target, job);
  return job;
}
