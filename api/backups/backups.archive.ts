import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Database } from '../core/db';
import {
  BackupError,
  DATABASE_ENTRY,
  entryPathProblem,
  MANIFEST_ENTRY,
  MANIFEST_FORMAT,
  STORAGE_DIR,
  type BackupManifest,
  type ManifestEntry,
} from './backups.manifest';
import { sealSnapshot, snapshotDatabase } from './backups.store';
import { openBackup, unpackBackup, type BackupLimits, type RestoreBuild } from './backups.unpack';
import { ZipWriter } from './backups.zip.write';

/**
 * Making and checking backups (issue 9): one zip with a consistent snapshot of data.db, the files of
 * `storage/` and a manifest. auxiliary.db (logs) and the backups folder stay out. Restoring is in
 * backups.restore.ts; the HTTP API, the CLI and the schedule call these functions.
 */

export interface CreateBackupOptions {
  /** The live database (api/core/db.ts); it stays open and writable throughout. */
  db: Database;
  /** The data folder: its `storage/` is backed up. */
  dataDir: string;
  /** Where the zip goes, usually `backupsDir(dataDir)/<name>.zip`. Must not exist yet. */
  outFile: string;
  /** This Hearth's version (package.json), recorded in the manifest. */
  version: string;
  now?: Date;
}

export interface BackupInfo {
  /** The zip's file name. */
  name: string;
  /** The zip's size in bytes. */
  size: number;
  manifest: BackupManifest;
  /** Files under storage/ left out: links, sockets and names no backup may hold. Log them. */
  skipped: string[];
}

/** Temporary folders made while backing up or uploading: never part of a backup. */
const SKIPPED_STORAGE_DIRS = new Set(['.tmp']);

/** Already compressed: stored as they are, deflate would only cost time. */
const COMPRESSED_RE =
  /\.(jpe?g|png|gif|webp|avif|heic|heif|jxl|mp4|m4v|mov|webm|mkv|avi|mp3|m4a|aac|ogg|oga|opus|flac|zip|gz|tgz|bz2|xz|zst|7z|rar|pdf|docx|xlsx|pptx|odt|ods|odp|epub|woff2?)$/i;

/**
 * Writes a backup of the data folder to `outFile`: data.db through SQLite's online backup API (writes
 * go on meanwhile; the snapshot is one consistent state), then every file under `storage/`, streamed,
 * then `manifest.json` listing all of them with size and SHA-256. The zip is written as
 * `<outFile>.<random>.partial` and renamed at the end, so a listing of `*.zip` never sees half a backup.
 *
 * The database is exact as of its snapshot; storage is read after it, so a file deleted during the
 * backup may be missing and one uploaded during it may be there without its record (an orphan).
 */
export async function createBackup(options: CreateBackupOptions): Promise<BackupInfo> {
  const { db, dataDir, outFile, version } = options;
  const now = options.now ?? new Date();
  if (existsSync(outFile)) {
    throw new BackupError('exists', `A backup named ${basename(outFile)} exists already.`);
  }
  await mkdir(dirname(outFile), { recursive: true });
  const random = randomBytes(6).toString('hex');
  const snapshot = `${outFile}.${random}.db.partial`;
  const partial = `${outFile}.${random}.partial`;
  let zip: FileHandle | undefined;
  try {
    await snapshotDatabase(db, snapshot);
    const migrations = sealSnapshot(snapshot);
    zip = await open(partial, 'wx');
    const writer = new ZipWriter(zip, now);
    const entries: ManifestEntry[] = [];
    const skipped: string[] = [];
    const add = async (path: string, name: string, deflate: boolean): Promise<void> => {
      const file = await openRegularFile(path);
      if (!file) return void skipped.push(name);
      try {
        const { size: expectedSize } = await file.stat();
        const digest = await writer.add(name, file.createReadStream({ autoClose: false }), {
          deflate,
          expectedSize,
        });
        entries.push({ path: name, ...digest });
      } finally {
        await file.close();
      }
    };
    await add(snapshot, DATABASE_ENTRY, true);
    const storage = join(dataDir, STORAGE_DIR);
    for (const name of await listStorage(storage, skipped)) {
      await add(join(storage, ...name.split('/').slice(1)), name, !COMPRESSED_RE.test(name));
    }
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      app: 'hearth',
      version,
      createdAt: now.toISOString(),
      migrations,
      entries,
    };
    await writer.addBytes(MANIFEST_ENTRY, Buffer.from(JSON.stringify(manifest, null, 1)), { deflate: true });
    const size = await writer.finish();
    await zip.sync();
    await zip.close();
    zip = undefined;
    await rename(partial, outFile);
    return { name: basename(outFile), size, manifest, skipped };
  } catch (err) {
    await zip?.close();
    await rm(partial, { force: true });
    throw err;
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) await rm(`${snapshot}${suffix}`, { force: true });
  }
}

/** Opens a regular file without following a link; null when it is gone or is something else. */
async function openRegularFile(path: string): Promise<FileHandle | null> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // deleted meanwhile
    throw err;
  }
  if ((await file.stat()).isFile()) return file;
  await file.close();
  return null;
}

/**
 * Every regular file under `root` as a zip name (`storage/a/b`), sorted. Links are never followed
 * (one could point out of the data folder) and, with names no restore would accept, go to `skipped`.
 */
async function listStorage(root: string, skipped: string[]): Promise<string[]> {
  const names: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let children;
    try {
      children = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no storage yet, or deleted meanwhile
      throw err;
    }
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const name = `${prefix}/${child.name}`;
      if (prefix === STORAGE_DIR && SKIPPED_STORAGE_DIRS.has(child.name)) continue;
      if (entryPathProblem(name) !== null) skipped.push(name);
      else if (child.isDirectory()) await walk(join(dir, child.name), name);
      else if (child.isFile()) names.push(name);
      else skipped.push(name);
    }
  };
  await walk(root, STORAGE_DIR);
  return names;
}

export interface VerifyOptions extends RestoreBuild, BackupLimits {
  /** Where data.db is unpacked for its integrity check; by default a temporary folder beside the backup. */
  tempDir?: string;
}

/**
 * Checks the backup at `file` as a restore would, without touching any data folder: safe names, no
 * links, exactly the manifest's entries and sizes, within the caps, every SHA-256, and a database
 * that passes `PRAGMA integrity_check` with migrations this build knows. Returns its manifest, or
 * throws a {@link BackupError} saying what is wrong.
 */
export async function verifyBackup(file: string, options: VerifyOptions): Promise<BackupManifest> {
  const backup = await openBackup(file, options);
  let temp: string | undefined;
  try {
    temp = await mkdtemp(join(options.tempDir ?? dirname(file), '.verify-'));
    await unpackBackup(backup, temp, { all: false, durable: false, build: options });
    return backup.manifest;
  } finally {
    await backup.close();
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}
