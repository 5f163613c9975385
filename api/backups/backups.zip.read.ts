import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { BackupError } from './backups.manifest';

/**
 * Reads a zip from a file without loading it (APPNOTE.TXT 4.3, ZIP64 included): the central
 * directory, then each entry streamed from its own bytes. The rules are those of the notes import's
 * reader (web/lib/notes/zip.read.ts), which holds a whole archive in memory and so cannot serve
 * backups of many gigabytes:
 *
 * - Records are walked by the bytes present, and their count must be the one the end record states.
 * - No two entries may share bytes (local header to end of data), and all lie before the central
 *   directory: otherwise many records could point at one stream and each would inflate it again.
 *   Together, inflating every entry costs work in proportion to the archive's length.
 * - An entry's local header must name it as the central record does (tools that trust one or the
 *   other would otherwise unpack different files).
 * - Inflating reads the declared compressed bytes and none after, and stops as soon as the output
 *   passes the declared size.
 */

export interface ZipFileEntry {
  /** The name as stored (UTF-8): not yet checked as a path. */
  name: string;
  flags: number;
  method: number;
  crc: number;
  packed: number;
  size: number;
  /** Where its local header is. */
  offset: number;
  /** Where its compressed data starts. */
  start: number;
  /** Unix mode from the external attributes when a Unix archiver wrote it (symlinks show here), else null. */
  mode: number | null;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
const CHUNK = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function corrupt(detail: string): BackupError {
  return new BackupError('corrupt', `The backup is damaged or truncated (${detail}).`);
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt('unexpected end of file');
    done += bytesRead;
  }
  return buffer;
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`${what} out of range`);
  return Number(value);
}

interface Directory {
  start: number;
  size: number;
  count: number;
}

/** Finds the end record (exactly at the end: Hearth writes no comment) and the ZIP64 one it points to. */
async function findDirectory(file: FileHandle, fileSize: number): Promise<Directory> {
  const tailLength = Math.min(fileSize, 22 + MAX16);
  const tail = await readAt(file, fileSize - tailLength, tailLength);
  let end = -1;
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail.readUInt32LE(at) === END && at + 22 + tail.readUInt16LE(at + 20) === tail.length) {
      end = at;
      break;
    }
  }
  if (end < 0) {
    const head = await readAt(file, 0, Math.min(4, fileSize));
    if (head.length === 4 && head.readUInt32LE(0) === LOCAL) throw corrupt('no end of central directory');
    throw new BackupError('not-a-backup', 'This is not a Hearth backup: the file is not a zip archive.');
  }
  const endAt = fileSize - tailLength + end;
  let directory: Directory = {
    count: tail.readUInt16LE(end + 10),
    size: tail.readUInt32LE(end + 12),
    start: tail.readUInt32LE(end + 16),
  };
  let directoryEnd = endAt;
  if (directory.count === MAX16 || directory.size === MAX32 || directory.start === MAX32) {
    if (endAt < 20) throw corrupt('no ZIP64 locator');
    const locator = await readAt(file, endAt - 20, 20);
    if (locator.readUInt32LE(0) !== LOCATOR64) throw corrupt('no ZIP64 locator');
    const end64At = safeNumber(locator.readBigUInt64LE(8), 'ZIP64 end offset');
    if (end64At + 56 > endAt - 20) throw corrupt('ZIP64 end record out of place');
    const end64 = await readAt(file, end64At, 56);
    if (end64.readUInt32LE(0) !== END64) throw corrupt('no ZIP64 end record');
    directory = {
      count: safeNumber(end64.readBigUInt64LE(32), 'entry count'),
      size: safeNumber(end64.readBigUInt64LE(40), 'directory size'),
      start: safeNumber(end64.readBigUInt64LE(48), 'directory offset'),
    };
    directoryEnd = end64At;
  }
  if (directory.start + directory.size > directoryEnd) throw corrupt('central directory out of place');
  return directory;
}

/** The ZIP64 extra field (0x0001) of a central record: the 64-bit values of the fields marked 0xFFFFFFFF. */
function readZip64Extra(extra: Buffer, wanted: boolean[]): number[] {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      const values: number[] = [];
      let field = at + 4;
      for (const want of wanted) {
        if (!want) continue;
        if (field + 8 > at + 4 + length) throw corrupt('short ZIP64 extra field');
        values.push(safeNumber(extra.readBigUInt64LE(field), 'ZIP64 field'));
        field += 8;
      }
      return values;
    }
    at += 4 + length;
  }
  throw corrupt('missing ZIP64 extra field');
}

function parseCentral(record: Buffer, at: number): { entry: Omit<ZipFileEntry, 'start'>; next: number } {
  if (record.readUInt32LE(at) !== CENTRAL) throw corrupt('bad central record');
  const nameLength = record.readUInt16LE(at + 28);
  const extraLength = record.readUInt16LE(at + 30);
  const commentLength = record.readUInt16LE(at + 32);
  const next = at + 46 + nameLength + extraLength + commentLength;
  if (next > record.length) throw corrupt('central record past the directory');
  let name: string;
  try {
    name = utf8.decode(record.subarray(at + 46, at + 46 + nameLength));
  } catch {
    throw new BackupError('unsafe-path', 'The backup has an entry whose name is not UTF-8.');
  }
  let size = record.readUInt32LE(at + 24);
  let packed = record.readUInt32LE(at + 20);
  let offset = record.readUInt32LE(at + 42);
  const wide = [size === MAX32, packed === MAX32, offset === MAX32];
  if (wide.some(Boolean)) {
    const extra = record.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    const values = readZip64Extra(extra, wide);
    if (wide[0]) size = values.shift()!;
    if (wide[1]) packed = values.shift()!;
    if (wide[2]) offset = values.shift()!;
  }
  const madeBy = record.readUInt16LE(at + 4) >> 8;
  const entry = {
    name,
    flags: record.readUInt16LE(at + 8),
    method: record.readUInt16LE(at + 10),
    crc: record.readUInt32LE(at + 16),
    packed,
    size,
    offset,
    // 3 = Unix: the high 16 bits are st_mode. Other systems have no links to hide there.
    mode: madeBy === 3 ? record.readUInt32LE(at + 38) >>> 16 : null,
  };
  return { entry, next };
}

/**
 * The entries of the zip in `file`. Refuses more than `limits.maxEntries` or a central directory
 * over `limits.maxDirectoryBytes` (`too-large`), a file that is not a zip (`not-a-backup`) and
 * anything damaged, overlapping or out of place (`corrupt`).
 */
export async function listZipFile(
  file: FileHandle,
  limits: { maxEntries: number; maxDirectoryBytes: number },
): Promise<ZipFileEntry[]> {
  const { size: fileSize } = await file.stat();
  const directory = await findDirectory(file, fileSize);
  if (directory.count > limits.maxEntries) {
    throw new BackupError(
      'too-large',
      `The backup has ${directory.count} entries, more than ${limits.maxEntries}.`,
    );
  }
  if (directory.size > limits.maxDirectoryBytes) {
    throw new BackupError(
      'too-large',
      `The backup's central directory is over ${limits.maxDirectoryBytes} bytes.`,
    );
  }
  const records = await readAt(file, directory.start, directory.size);
  const entries: ZipFileEntry[] = [];
  let at = 0;
  while (at < records.length) {
    if (entries.length === directory.count) throw corrupt('more central records than stated');
    const { entry, next } = parseCentral(records, at);
    entries.push({ ...entry, start: await dataStart(file, entry, directory.start) });
    at = next;
  }
  if (entries.length !== directory.count) throw corrupt('fewer central records than stated');
  const spans = entries.map((e) => [e.offset, e.start + e.packed] as const).sort((a, b) => a[0] - b[0]);
  if (spans.some((span, i) => i > 0 && span[0] < spans[i - 1]![1])) throw corrupt('entries overlap');
  return entries;
}

/** Where an entry's data starts, after a local header that names it as its central record does. */
async function dataStart(
  file: FileHandle,
  entry: Omit<ZipFileEntry, 'start'>,
  directoryStart: number,
): Promise<number> {
  const name = Buffer.from(entry.name, 'utf8');
  if (entry.offset + 30 + name.length > directoryStart) {
    throw corrupt(`${entry.name}: local header out of place`);
  }
  const header = await readAt(file, entry.offset, 30 + name.length);
  if (header.readUInt32LE(0) !== LOCAL) throw corrupt(`${entry.name}: no local header`);
  if (header.readUInt16LE(26) !== name.length || !header.subarray(30).equals(name)) {
    throw corrupt(`${entry.name}: the local header names another file`);
  }
  const start = entry.offset + 30 + name.length + header.readUInt16LE(28);
  if (start + entry.packed > directoryStart) throw corrupt(`${entry.name}: data past the central directory`);
  return start;
}

async function* readRange(file: FileHandle, start: number, length: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < length; at += CHUNK) {
    yield await readAt(file, start + at, Math.min(CHUNK, length - at));
  }
}

/**
 * Streams an entry's uncompressed bytes to `write` (null: only hashed), checking its CRC and size on
 * the way, and returns their SHA-256 (hex). A stream that inflates past its declared size is stopped
 * there (`corrupt`), so a lying entry costs no more than its declared size.
 */
export async function readEntry(
  file: FileHandle,
  entry: ZipFileEntry,
  write: ((chunk: Buffer) => Promise<void>) | null,
): Promise<string> {
  if (entry.flags & 1) throw corrupt(`${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw corrupt(`${entry.name}: compression method ${entry.method}`);
  }
  if (entry.method === 0 && entry.packed !== entry.size) throw corrupt(`${entry.name}: stored sizes differ`);
  const raw = Readable.from(readRange(file, entry.start, entry.packed));
  const source = entry.method === 8 ? raw.pipe(createInflateRaw({ chunkSize: CHUNK })) : raw;
  // pipe() forwards data, not errors: a read error must end the inflater too.
  raw.on('error', (err) => source.destroy(err));
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  let failedWrite: unknown;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > entry.size) throw corrupt(`${entry.name} inflates past its declared ${entry.size} bytes`);
      crc = crc32(chunk, crc);
      hash.update(chunk);
      try {
        if (write) await write(chunk);
      } catch (err) {
        failedWrite = err;
        throw err;
      }
    }
  } catch (err) {
    raw.destroy();
    source.destroy();
    // The writer's own errors (a full disk) are not the archive's fault: they go up as they are.
    if (err instanceof BackupError || err === failedWrite) throw err;
    throw corrupt(`${entry.name}: ${(err as Error).message}`);
  }
  if (size !== entry.size) throw corrupt(`${entry.name} has ${size} bytes, not the declared ${entry.size}`);
  if (crc >>> 0 !== entry.crc) throw corrupt(`${entry.name}: CRC mismatch`);
  return hash.digest('hex');
}
