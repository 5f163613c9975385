import { mkdir, open, statfs, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  assertRestorable,
  BackupError,
  DATABASE_ENTRY,
  entryPathProblem,
  MANIFEST_ENTRY,
  parseManifest,
  type BackupManifest,
} from './backups.manifest';
import { checkSnapshot } from './backups.store';
import { listZipFile, readEntry, type ZipFileEntry } from './backups.zip.read';

/**
 * Reading a backup for verify and restore. Every check that needs no unpacking (names, links,
 * counts, sizes, caps, the manifest, the versions) runs in {@link openBackup}, before a byte is
 * written anywhere; {@link unpackBackup} then checks each entry's SHA-256 as it streams and the
 * database's integrity once it is out.
 */

/** What this build is: a backup it does not know the migrations of, or of a newer version, is refused. */
export interface RestoreBuild {
  /** Ids of every migration this build has (`migrations.map((m) => m.id)`). */
  knownMigrations: readonly string[];
  /** This Hearth's version (package.json). */
  version: string;
}

export interface BackupLimits {
  /** Refuses archives, and contents once unpacked, over this many bytes. */
  maxBytes?: number;
  /** Refuses archives with more entries than this. */
  maxEntries?: number;
}

/** 256 GiB: a cap against mistakes and bombs, not a quota; free disk space is checked as well. */
export const DEFAULT_MAX_BACKUP_BYTES = 256 * 1024 ** 3;
export const DEFAULT_MAX_BACKUP_ENTRIES = 1_000_000;
/** The central directory and manifest are read into memory: about 200 bytes an entry each. */
const MAX_DIRECTORY_BYTES = 512 * 1024 ** 2;
const MAX_MANIFEST_BYTES = 512 * 1024 ** 2;
/**
 * Deflate makes at most about 1032 bytes of one (a 258-byte match in two bits): an entry declaring
 * more than that of its compressed size is a bomb, or lies.
 */
const MAX_DEFLATE_RATIO = 1032;
/** Left free on the disk after unpacking, for the database's WAL and everything else. */
const SPACE_MARGIN = 64 * 1024 ** 2;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** A backup whose structure and manifest passed; its entries are not read yet. */
export interface OpenedBackup {
  file: FileHandle;
  manifest: BackupManifest;
  /** Every entry but the manifest, in archive order. */
  entries: ZipFileEntry[];
  /** Closes the file; calling it again does nothing. */
  close(): Promise<void>;
}

function checkEntry(entry: ZipFileEntry): void {
  const problem = entryPathProblem(entry.name);
  if (problem) {
    throw new BackupError(
      'unsafe-path',
      `The backup has an entry with an unsafe name (${problem}): ${JSON.stringify(entry.name)}.`,
    );
  }
  const type = entry.mode === null ? 0 : entry.mode & S_IFMT;
  if (type === S_IFLNK) {
    throw new BackupError('unsafe-path', `The backup has a symbolic link: ${entry.name}.`);
  }
  if (type !== 0 && type !== S_IFREG) {
    throw new BackupError('unsafe-path', `The backup has a special file: ${entry.name}.`);
  }
  if (entry.flags & 1) throw new BackupError('corrupt', `The backup has an encrypted entry: ${entry.name}.`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new BackupError(
      'corrupt',
      `The backup has an entry in an unknown compression (${entry.method}): ${entry.name}.`,
    );
  }
  if (entry.method === 0 && entry.packed !== entry.size) {
    throw new BackupError('corrupt', `The backup's stored entry ${entry.name} has two different sizes.`);
  }
  if (entry.size > entry.packed * MAX_DEFLATE_RATIO + 1024) {
    throw new BackupError(
      'too-large',
      `The backup's entry ${entry.name} claims ${entry.size} bytes from ${entry.packed}: more than deflate can make (a zip bomb?).`,
    );
  }
}

/** Checks every entry on its own, then together: no name twice, none both a file and a folder, the total under the cap. */
function checkEntries(all: ZipFileEntry[], maxBytes: number): void {
  const names = new Set<string>();
  const folders = new Set<string>();
  for (const entry of all) {
    checkEntry(entry);
    if (names.has(entry.name)) throw new BackupError('unsafe-path', `The backup has ${entry.name} twice.`);
    names.add(entry.name);
    for (let at = entry.name.indexOf('/'); at > 0; at = entry.name.indexOf('/', at + 1)) {
      folders.add(entry.name.slice(0, at));
    }
  }
  const clash = [...folders].find((f) => names.has(f));
  if (clash) {
    throw new BackupError('unsafe-path', `The backup has ${clash} both as a file and as a folder.`);
  }
  const total = all.reduce((sum, e) => sum + e.size, 0);
  if (total > maxBytes) {
    throw new BackupError(
      'too-large',
      `The backup unpacks to ${total} bytes, over the limit of ${maxBytes}.`,
    );
  }
}

/** Refuses a manifest that does not list exactly the archive's entries, with their sizes. */
function matchManifest(manifest: BackupManifest, entries: ZipFileEntry[]): void {
  const listed = new Map<string, number>();
  for (const e of manifest.entries) {
    const problem = entryPathProblem(e.path);
    if (problem || e.path === MANIFEST_ENTRY) {
      throw new BackupError(
        'unsafe-path',
        `The backup's manifest lists an unsafe name: ${JSON.stringify(e.path)}.`,
      );
    }
    if (listed.has(e.path)) throw new BackupError('corrupt', `The backup's manifest lists ${e.path} twice.`);
    listed.set(e.path, e.size);
  }
  for (const e of entries) {
    const size = listed.get(e.name);
    if (size === undefined) {
      throw new BackupError('corrupt', `The backup has an entry its manifest does not list: ${e.name}.`);
    }
    if (size !== e.size) {
      throw new BackupError(
        'corrupt',
        `The backup's entry ${e.name} has ${e.size} bytes; its manifest says ${size}.`,
      );
    }
  }
  if (entries.length !== listed.size) {
    const present = new Set(entries.map((e) => e.name));
    const missing = [...listed.keys()].filter((p) => !present.has(p));
    throw new BackupError(
      'corrupt',
      `The backup is missing entries its manifest lists: ${missing.slice(0, 5).join(', ')}.`,
    );
  }
  if (!listed.has(DATABASE_ENTRY)) {
    throw new BackupError('not-a-backup', 'This is not a Hearth backup: it has no data.db.');
  }
}

async function readManifest(file: FileHandle, entry: ZipFileEntry | undefined): Promise<BackupManifest> {
  if (!entry) throw new BackupError('not-a-backup', 'This is not a Hearth backup: it has no manifest.json.');
  if (entry.size > MAX_MANIFEST_BYTES) {
    throw new BackupError('too-large', "The backup's manifest.json is too large.");
  }
  const chunks: Buffer[] = [];
  await readEntry(file, entry, async (chunk) => void chunks.push(chunk));
  return parseManifest(Buffer.concat(chunks));
}

/**
 * Opens the backup at `path` and runs every check that needs no unpacking. The caller closes it.
 * Throws a {@link BackupError} saying what is wrong.
 */
export async function openBackup(path: string, build: RestoreBuild & BackupLimits): Promise<OpenedBackup> {
  const maxBytes = build.maxBytes ?? DEFAULT_MAX_BACKUP_BYTES;
  const maxEntries = build.maxEntries ?? DEFAULT_MAX_BACKUP_ENTRIES;
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new BackupError(
      'not-a-backup',
      `Cannot open the backup ${basename(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
      { cause: err },
    );
  }
  try {
    const { size } = await file.stat();
    if (size > maxBytes) {
      throw new BackupError('too-large', `The backup is ${size} bytes, over the limit of ${maxBytes}.`);
    }
    const all = await listZipFile(file, {
      maxEntries: maxEntries + 1,
      maxDirectoryBytes: MAX_DIRECTORY_BYTES,
    });
    checkEntries(all, maxBytes);
    const manifest = await readManifest(
      file,
      all.find((e) => e.name === MANIFEST_ENTRY),
    );
    assertRestorable(manifest, build);
    const entries = all.filter((e) => e.name !== MANIFEST_ENTRY);
    matchManifest(manifest, entries);
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await file.close();
    };
    return { file, manifest, entries, close };
  } catch (err) {
    await file.close();
    throw err;
  }
}

async function assertSpace(dir: string, bytes: number): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < bytes + SPACE_MARGIN) {
    throw new BackupError(
      'no-space',
      `Not enough disk space to unpack the backup: it needs ${bytes} bytes and ${free} are free in ${dir}.`,
    );
  }
}

/**
 * Unpacks the backup into the empty folder `into`: every entry when `all`, else only data.db (the
 * others are read and hashed, not written). Each entry's SHA-256 must be the manifest's, and the
 * database must pass its integrity check and hold exactly the manifest's migrations, all known to
 * this build. With `durable`, files are synced to disk before this returns.
 */
export async function unpackBackup(
  backup: OpenedBackup,
  into: string,
  options: { all: boolean; durable: boolean; build: RestoreBuild },
): Promise<void> {
  const written = backup.entries.filter((e) => options.all || e.name === DATABASE_ENTRY);
  await assertSpace(
    into,
    written.reduce((sum, e) => sum + e.size, 0),
  );
  const hashes = new Map(backup.manifest.entries.map((e) => [e.path, e.sha256]));
  const byOffset = [...backup.entries].sort((a, b) => a.offset - b.offset);
  for (const entry of byOffset) {
    const write = options.all || entry.name === DATABASE_ENTRY;
    const sha256 = write
      ? await unpackEntry(backup.file, entry, join(into, entry.name), options.durable)
      : await readEntry(backup.file, entry, null);
    if (sha256 !== hashes.get(entry.name)) {
      throw new BackupError(
        'hash-mismatch',
        `The backup's ${entry.name} is not the file its manifest describes (SHA-256 differs).`,
      );
    }
  }
  const migrations = checkSnapshot(join(into, DATABASE_ENTRY));
  assertRestorable({ ...backup.manifest, migrations }, options.build);
  const listed = [...backup.manifest.migrations].sort();
  if (migrations.join('\n') !== listed.join('\n')) {
    throw new BackupError(
      'corrupt',
      "The backup's database does not have the migrations its manifest lists.",
    );
  }
}

async function unpackEntry(
  file: FileHandle,
  entry: ZipFileEntry,
  target: string,
  durable: boolean,
): Promise<string> {
  await mkdir(dirname(target), { recursive: true });
  // 'wx': a fresh file, never one (or a link) already there.
  const out = await open(target, 'wx');
  try {
    return await copyEntry(file, entry, out, durable);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    throw new BackupError('no-space', `The disk filled up while unpacking the backup's ${entry.name}.`, {
      cause: err,
    });
  } finally {
    await out.close();
  }
}

async function copyEntry(
  file: FileHandle,
  entry: ZipFileEntry,
  out: FileHandle,
  durable: boolean,
): Promise<string> {
  let position = 0;
  const sha256 = await readEntry(file, entry, async (chunk) => {
    for (let done = 0; done < chunk.length;) {
      const { bytesWritten } = await out.write(chunk, done, chunk.length - done, position + done);
      done += bytesWritten;
    }
    position += chunk.length;
  });
  if (durable) await out.sync();
  return sha256;
}
