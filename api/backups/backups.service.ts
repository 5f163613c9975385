import { existsSync, rmSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../core/db';
import type { Logger } from '../core/logger';
import { formatDateTime } from '../lib/time';
import { createBackup, verifyBackup, type BackupInfo } from './backups.archive';
import {
  BACKUP_NAME_RE,
  BackupError,
  backupsDir,
  defaultBackupName,
  type BackupManifest,
} from './backups.manifest';
import { restoreBackup } from './backups.restore';
import type { RestoreBuild } from './backups.unpack';

/**
 * Backups of one data folder, as the HTTP API, the CLI and the schedule use them: the zips in
 * `<dir>/backups/`, one backup or restore at a time, and restores through the API that wait for the
 * next start of the server (a running server cannot swap its own open database).
 */

export interface BackupFile {
  key: string;
  size: number;
  /** PocketBase's datetime text. */
  modified: string;
}

/** Automatic backups (the __pbBackups__ job) are named with this prefix; only they are pruned. */
export const AUTO_PREFIX = 'auto_';
/** A `.partial` file untouched this long belongs to a backup that died. */
const STALE_PARTIAL_MS = 60 * 60 * 1000;
/** How long a restore request waits for the restart that carries it out. */
const PENDING_RESTORE_MAX_AGE_MS = 10 * 60 * 1000;
/** A restore asked for through the API, done by the next start (applyPendingRestore). */
const PENDING_RESTORE = '.restore-pending.json';

/** The backup zips in `dir`, newest first. */
export async function listBackups(dir: string): Promise<BackupFile[]> {
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir)).filter((n) => BACKUP_NAME_RE.test(n));
  const files = await Promise.all(
    names.map(async (key) => {
      const info = await stat(join(dir, key));
      return { key, size: info.size, modified: formatDateTime(info.mtime), at: info.mtimeMs };
    }),
  );
  return files.sort((a, b) => b.at - a.at || b.key.localeCompare(a.key)).map(({ at: _at, ...file }) => file);
}

/** Another backup or restore is going on. */
export class BusyError extends Error {
  override name = 'BusyError';
}

export class Backups {
  readonly #db: Database;
  readonly #dataDir: string;
  readonly #build: RestoreBuild;
  #busy = false;
  /** A restore waits for the restart: no more backups or restores from this instance. */
  #restoring = false;

  constructor(options: { db: Database; dataDir: string; build: RestoreBuild }) {
    this.#db = options.db;
    this.#dataDir = options.dataDir;
    this.#build = options.build;
  }

  get dir(): string {
    return backupsDir(this.#dataDir);
  }

  /** The backups, newest first. */
  list(): Promise<BackupFile[]> {
    return listBackups(this.dir);
  }

  /** The path of an existing backup; a BackupError for a name that is not one. */
  path(key: string): string {
    if (!BACKUP_NAME_RE.test(key)) throw new BackupError('not-a-backup', 'Invalid backup name.');
    const file = join(this.dir, key);
    if (!existsSync(file)) throw new BackupError('not-a-backup', 'Missing or invalid backup file.');
    return file;
  }

  /** Makes a backup named `name` (checked), or `hearth_backup_<UTC time>.zip`. */
  create(name?: string, now = new Date(), options: { automatic?: boolean } = {}): Promise<BackupInfo> {
    const key = name ?? (options.automatic ? AUTO_PREFIX : '') + defaultBackupName(now);
    if (!options.automatic && key.startsWith(AUTO_PREFIX)) {
      throw new BackupError(
        'not-a-backup',
        `Names starting with "${AUTO_PREFIX}" are for automatic backups.`,
      );
    }
    if (!BACKUP_NAME_RE.test(key)) {
      throw new BackupError(
        'not-a-backup',
        'Use lower-case letters, digits, "_", "." or "-", ending in .zip.',
      );
    }
    return this.#exclusive(() =>
      createBackup({
        db: this.#db,
        dataDir: this.#dataDir,
        outFile: join(this.dir, key),
        version: this.#build.version,
        now,
      }),
    );
  }

  /** Checks a backup (anywhere) as a restore would; its manifest, or a BackupError. */
  verify(file: string): Promise<BackupManifest> {
    return verifyBackup(file, this.#build);
  }

  /** Takes an uploaded zip in as `key` once it checks out; the temp file is moved or deleted. */
  async adopt(tempFile: string, key: string): Promise<void> {
    try {
      if (!BACKUP_NAME_RE.test(key)) throw new BackupError('not-a-backup', 'Invalid backup name.');
      if (existsSync(join(this.dir, key)))
        throw new BackupError('exists', `A backup named ${key} exists already.`);
      await this.verify(tempFile);
      await mkdir(this.dir, { recursive: true }); // the first backup may be an upload
      // link, unlike rename, never replaces: a backup made meanwhile under that name stays.
      await link(tempFile, join(this.dir, key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new BackupError('exists', `A backup named ${key} exists already.`);
        throw err;
      });
    } finally {
      await rm(tempFile, { force: true });
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.path(key);
    await this.#exclusive(() => rm(file));
  }

  /**
   * Deletes the `.partial` files of backups that were killed (SIGKILL, a crash): those nothing has
   * written to for STALE_PARTIAL_MS. A backup still being made (by a CLI beside the server) writes
   * all the time and is left alone. Returns the names deleted.
   */
  async removeStalePartials(now = Date.now()): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    const gone: string[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.partial')) continue;
      const file = join(this.dir, name);
      const info = await stat(file).catch(() => null);
      if (info && now - info.mtimeMs > STALE_PARTIAL_MS) {
        await rm(file, { force: true });
        gone.push(name);
      }
    }
    return gone;
  }

  /** Deletes the oldest automatic backups past `keep`. Returns the names deleted. */
  async prune(keep: number): Promise<string[]> {
    const auto = (await this.list()).filter((b) => b.key.startsWith(AUTO_PREFIX));
    const gone = auto.slice(keep).map((b) => b.key);
    for (const key of gone) await rm(join(this.dir, key), { force: true });
    return gone;
  }

  /**
   * A restore through the API: the backup is checked now (a bad one is refused with the reason), and
   * swapped in by the next start of the server, which the caller then asks for (RestartRequested).
   */
  async scheduleRestore(key: string): Promise<BackupManifest> {
    const file = this.path(key);
    return this.#exclusive(async () => {
      const manifest = await this.verify(file);
      await writeFile(
        join(this.#dataDir, PENDING_RESTORE),
        JSON.stringify({ file, requested: new Date().toISOString() }),
      );
      // Nothing else starts until the restart: a backup read while the restore swaps would be torn.
      this.#restoring = true;
      return manifest;
    });
  }

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#busy || this.#restoring) {
      throw new BusyError('Try again later - another backup/restore operation has already been started.');
    }
    this.#busy = true;
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }
}

/** Forgets a restore the API asked for (the CLI restored something else meanwhile). */
export function dropPendingRestore(dataDir: string): void {
  rmSync(join(dataDir, PENDING_RESTORE), { force: true });
}

/**
 * Runs a restore that the API scheduled, before the server opens the database. On failure the live
 * data stays as it was (restoreBackup's promise) and the request is dropped, logged. True when a
 * backup was restored.
 */
export async function applyPendingRestore(
  dataDir: string,
  build: RestoreBuild,
  logger: Logger,
): Promise<boolean> {
  const marker = join(dataDir, PENDING_RESTORE);
  if (!existsSync(marker)) return false;
  let file = '';
  try {
    const request = JSON.parse(await readFile(marker, 'utf8')) as { file?: unknown; requested?: unknown };
    file = String(request.file ?? '');
    // Made for a restart moments later: one found long after (a server that never restarted, a
    // dev server) is stale, and restoring it over everything written since would be a disaster.
    const age = Date.now() - Date.parse(String(request.requested ?? ''));
    if (!(age >= 0 && age < PENDING_RESTORE_MAX_AGE_MS)) {
      logger.warn({ file, requested: request.requested }, 'a stale restore request was dropped');
      return false;
    }
    const manifest = await restoreBackup({ file, dataDir, ...build });
    logger.info({ file, created: manifest.createdAt }, 'backup restored');
    return true;
  } catch (err) {
    logger.error({ err, file }, 'the requested restore failed; the data stays as it was');
    return false;
  } finally {
    await rm(marker, { force: true });
  }
}
