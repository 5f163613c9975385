import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError, DATABASE_ENTRY, STORAGE_DIR, type BackupManifest } from './backups.manifest';
import { openBackup, unpackBackup, type BackupLimits, type RestoreBuild } from './backups.unpack';

/**
 * Restoring a backup into a data folder, atomically as far as a file system allows:
 *
 * 1. Every check that needs no unpacking (backups.unpack.ts) runs first: nothing is written before
 *    the names, links, caps, manifest and versions passed.
 * 2. The zip is unpacked into `<dataDir>/.restore-<random>/`, checking each SHA-256 and then the
 *    database's integrity. Inside the data folder rather than beside it, so that the renames below
 *    stay on one file system even when the data folder is a mount point (a Docker volume) and its
 *    parent is not writable (/var/lib).
 * 3. The swap: the live data.db (with its -wal, -shm and -journal: a WAL left beside the new database
 *    would be replayed into it) and storage/ are renamed into `<dataDir>/.old-<random>/`, then the
 *    new data.db and storage/ renamed in. Any failure renames everything back. Everything else in the
 *    data folder (auxiliary.db, backups/) stays where it is.
 * 4. The old copy is deleted.
 *
 * A crash (power loss, SIGKILL) during the few renames of step 3 leaves the old data in `.old-*` and
 * the new in `.restore-*`, never deleted by anyone: moving one of them back by hand recovers.
 */

export interface RestoreOptions extends RestoreBuild, BackupLimits {
  /** The backup zip. */
  file: string;
  /**
   * The data folder to restore into (made when missing). No server may have it open: the CLI
   * checks its lock, the HTTP API restarts the process after restoring.
   */
  dataDir: string;
  /**
   * Called before each rename of the swap with a name for it (`aside data.db`, `in storage`);
   * throwing from it fails the restore there. For tests of the rollback.
   */
  onSwapStep?: (step: string) => void;
}

/** Live files the restore replaces, in the order they are moved aside. */
const REPLACED = [
  DATABASE_ENTRY,
  `${DATABASE_ENTRY}-wal`,
  `${DATABASE_ENTRY}-shm`,
  `${DATABASE_ENTRY}-journal`,
  STORAGE_DIR,
];
/** What the backup brings in. */
const BROUGHT = [DATABASE_ENTRY, STORAGE_DIR];

/**
 * Replaces the database and files of `dataDir` with those in the backup `file`. The restored
 * database may be from an older Hearth: the next start migrates it forward. Returns the backup's
 * manifest; throws a {@link BackupError} and leaves the data folder as it was when anything fails.
 */
export async function restoreBackup(options: RestoreOptions): Promise<BackupManifest> {
  const backup = await openBackup(options.file, options);
  let staging: string | undefined;
  try {
    await mkdir(options.dataDir, { recursive: true });
    staging = await mkdtemp(join(options.dataDir, '.restore-'));
    await unpackBackup(backup, staging, { all: true, durable: true, build: options });
    await backup.close();
    // A backup without files still replaces storage/: the restored data has none.
    await mkdir(join(staging, STORAGE_DIR), { recursive: true });
    for (const name of ['-wal', '-shm']) await rm(join(staging, DATABASE_ENTRY + name), { force: true });
    await swap(options.dataDir, staging, options.onSwapStep);
    return backup.manifest;
  } finally {
    await backup.close();
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

async function swap(
  dataDir: string,
  staging: string,
  onStep: (step: string) => void = () => {},
): Promise<void> {
  const aside = await mkdtemp(join(dataDir, '.old-'));
  /** Renames done so far, as [from, to], undone in reverse on failure. */
  const done: [string, string][] = [];
  const move = async (step: string, from: string, to: string): Promise<void> => {
    onStep(step);
    await rename(from, to);
    done.push([from, to]);
  };
  try {
    for (const name of REPLACED) {
      if (!existsSync(join(dataDir, name))) continue;
      await move(`aside ${name}`, join(dataDir, name), join(aside, name));
    }
    for (const name of BROUGHT) await move(`in ${name}`, join(staging, name), join(dataDir, name));
    await syncDir(dataDir);
  } catch (err) {
    const reason = (err as Error).message;
    try {
      for (const [from, to] of done.reverse()) await rename(to, from);
    } catch (undoErr) {
      throw new BackupError(
        'swap-failed',
        `Restoring failed while moving files (${reason}), and putting the old data back failed too (${(undoErr as Error).message}): the old data.db and storage are in ${aside}; move them back into ${dataDir} by hand.`,
        { cause: err },
      );
    }
    await rm(aside, { recursive: true, force: true });
    throw new BackupError(
      'swap-failed',
      `Restoring failed while moving files (${reason}); the data was left as it was.`,
      {
        cause: err,
      },
    );
  }
  // The restore is done; an old copy that will not go away only costs space, and says what it is.
  await rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

/** Makes the renames in `dir` durable (POSIX: they are entries of the folder). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
