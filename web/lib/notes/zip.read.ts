import { Inflate } from 'fflate';

/**
 * Reading zips someone else made, for the notes import (transfer.ts). Our own central-directory walk
 * (APPNOTE.TXT 4.3) rather than fflate's unzipSync: that inflates a lying entry in full, even into a
 * buffer of the declared size, so a few MB of zip cost minutes of CPU. Here the work is bounded by
 * the bytes of the archive, never by what its records claim:
 *
 * - No two entries may share bytes: {@link listZip} refuses a zip in which one entry's local header
 *   and compressed data overlap another's. Otherwise thousands of central records could all point
 *   at one stream (say megabytes of empty stored blocks, declared size 0) and each would inflate it
 *   again. Entries that do not overlap have at most the archive's length of compressed data in all.
 * - An entry is inflated from its declared compressed bytes and never more, only if that many bytes
 *   are a plausible deflate of its declared size ({@link deflatedAtMost}), in chunks, and given up
 *   as soon as it outgrows its declared size.
 */

export interface ZipEntry {
  /** The name as the archive stores it, folders and all: not safe as a path. */
  path: string;
  flags: number;
  method: number;
  /** Compressed size, as declared. */
  packed: number;
  /** Uncompressed size, as declared. */
  size: number;
  /** Where its local header is. */
  offset: number;
  /** Where its compressed data starts, or -1 when its local header or data is not in the archive. */
  start: number;
}

const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const END = 0x06054b50;
const CHUNK = 16 * 1024; // deflate grows at most ~1032×: no push yields more than ~16 MiB

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The entries of a zip, at most `maxEntries + 1` of them (so that the caller sees there were too
 * many). Throws when this is not a zip, or when entries overlap: such a zip was made to cost work,
 * or is damaged past trusting any of it.
 */
export function listZip(zip: Uint8Array, maxEntries: number): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end record comes last, after a comment of at most 65535 bytes. DataView throws past the end.
  let end = zip.length - 22;
  while (view.getUint32(end, true) !== END) {
    if (end === 0 || zip.length - end > 22 + 0xffff) throw new Error('not a zip');
    end -= 1;
  }
  const directory = view.getUint32(end + 16, true);
  const entries: ZipEntry[] = [];
  // Walking the records rather than trusting the stated count bounds the work by the bytes present.
  for (let at = directory; at + 46 <= end && view.getUint32(at, true) === CENTRAL;) {
    if (entries.length > maxEntries) break;
    const nameLength = view.getUint16(at + 28, true);
    const packed = view.getUint32(at + 20, true);
    const offset = view.getUint32(at + 42, true);
    entries.push({
      path: entryName(zip.subarray(at + 46, at + 46 + nameLength)),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      packed,
      size: view.getUint32(at + 24, true),
      offset,
      start: dataStart(view, offset, packed, directory),
    });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  if (entries.length === 0 && view.getUint16(end + 10, true) > 0) throw new Error('no central directory');
  if (overlapping(entries)) throw new Error('entries overlap');
  return entries;
}

/**
 * Where an entry's data starts, if its local header and `packed` bytes of data lie before the
 * central directory; else -1, and it is never read. Zip64 entries (sizes and offsets of 2^32-1, the
 * real ones in an extra field) end up here or past the size limits: no note is that large.
 */
function dataStart(view: DataView, offset: number, packed: number, directory: number): number {
  if (offset + 30 > directory || view.getUint32(offset, true) !== LOCAL) return -1;
  const start = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
  return start + packed <= directory ? start : -1;
}

/**
 * Whether two entries that could be read share a byte, from one's local header to the end of its
 * data (a data descriptor may follow; honest archivers put the next header after it). Entries that
 * are never read cost nothing, wherever they point.
 */
function overlapping(entries: readonly ZipEntry[]): boolean {
  const spans = entries
    .filter((e) => e.start >= 0)
    .map((e) => [e.offset, e.start + e.packed] as const)
    .sort((a, b) => a[0] - b[0]);
  return spans.some((span, i) => i > 0 && span[0] < spans[i - 1]![1]);
}

/** UTF-8 where it decodes (whatever flag 11 says: many archivers never set it), else Windows-1252. */
function entryName(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/**
 * The most compressed bytes a deflater makes of `size` bytes, with room to spare. The worst real
 * encoders do is about 9/8 (fixed Huffman codes spend 9 bits on bytes 144 to 255, as in UTF-8 past
 * ASCII); zlib and fflate switch to stored blocks, 5 bytes per 64 KiB, when those are smaller. A
 * quarter more and 1 KiB of headers cover any sane encoder, while a stream that inflates to far less
 * than its length (empty stored blocks, say) is refused before a byte of it is read: each entry then
 * costs work in proportion to its declared size, which the import's budget bounds.
 */
export function deflatedAtMost(size: number): number {
  return size + Math.ceil(size / 4) + 1024;
}

/**
 * An entry's bytes, exactly as many as declared, or null: encrypted, outside the archive, an unknown
 * method, more compressed bytes than its size could deflate to, or a stream that inflates to more or
 * less than its header says. Reads the declared compressed bytes and none after them.
 */
export function entryBytes(zip: Uint8Array, entry: ZipEntry): Uint8Array | null {
  if (entry.flags & 1 || entry.start < 0) return null;
  const packed = zip.subarray(entry.start, entry.start + entry.packed);
  if (packed.length !== entry.packed) return null;
  if (entry.method === 0) return packed.length === entry.size ? packed : null;
  if (entry.method !== 8 || entry.packed > deflatedAtMost(entry.size)) return null;
  try {
    return inflateExactly(packed, entry.size);
  } catch {
    return null; // corrupt data, or a stream that does not end within its bytes
  }
}

function inflateExactly(packed: Uint8Array, size: number): Uint8Array | null {
  const out = new Uint8Array(size);
  let length = 0;
  let overflow = false;
  const inflate = new Inflate((chunk) => {
    if (length + chunk.length > size) overflow = true;
    else out.set(chunk, length);
    length += chunk.length;
  });
  // The last push says "final": a stream still open after its declared bytes throws.
  for (let at = 0; at < packed.length && !overflow; at += CHUNK) {
    inflate.push(packed.subarray(at, at + CHUNK), at + CHUNK >= packed.length);
  }
  return !overflow && length === size ? out : null;
}
