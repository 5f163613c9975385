import BetterSqlite3 from 'better-sqlite3';
import { closeSync, openSync, readSync } from 'node:fs';
import { HEARTH_APPLICATION_ID, openDatabase, type Database } from '../core/db';
import { readMigrationRows } from '../core/migrations.store';
import { BackupError } from './backups.manifest';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The SQL of backups: taking a snapshot of the live database and checking one. Snapshots are files of
 * their own, never the live data.db.
 */

/**
 * Copies the live database to `file` with SQLite's online backup API while writes go on. Writes
 * through `db`'s own connection are copied into the snapshot as they happen; a commit by another
 * connection (a CLI command) restarts the copy, so after a few restarts the rest is copied in one
 * step, which holds a read snapshot only: in WAL mode writers go on meanwhile.
 */
export async function snapshotDatabase(db: Database, file: string): Promise<void> {
  let restarts = 0;
  let lastRemaining = Infinity;
  await db.sql.backup(file, {
    progress({ remainingPages }) {
      // No fewer pages left than a step ago: the copy started over.
      if (remainingPages >= lastRemaining) restarts++;
      lastRemaining = remainingPages;
      // 1000 pages (4 MiB at the default page size) a step lets requests run between steps. The
      // maximum copies all that is left at once (better-sqlite3 clamps to 0..2^31-1, and 0 copies nothing).
      return restarts >= 3 ? 0x7fffffff : 1000;
    },
  });
}

/**
 * Makes a snapshot a self-contained file (rollback journal: no -wal beside it is needed to read it;
 * Hearth switches it back to WAL when it opens it) and returns the migrations recorded in it.
 */
export function sealSnapshot(file: string): string[] {
  const db = openDatabase(file);
  try {
    db.sql.pragma('journal_mode = DELETE');
    // The backup job holds its own lease while it runs: a restored copy must not start locked.
    if (db.sql.prepare(`SELECT 1 FROM sqlite_master WHERE name = '_jobs'`).get()) {
      db.sql.exec(`UPDATE _jobs SET leaseUntil = '', leaseBy = '';
        UPDATE _jobRuns SET status = 'failed', result = 'Interrupted: the backup was taken while it ran.' WHERE status = 'running'`);
    }
    return readMigrationRows(db)
      .map((r) => r.name)
      .sort();
  } finally {
    db.sql.close();
  }
}

/**
 * Checks a database unpacked from a backup: a SQLite file (read-only, never the live one) of Hearth's
 * that passes `PRAGMA integrity_check` (every page, however large). Returns the migrations recorded
 * in it. Not through openDatabase: its refusals speak of a data folder, these of a backup.
 */
export function checkSnapshot(file: string): string[] {
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.equals(SQLITE_MAGIC)) {
    throw new BackupError('corrupt', "The backup's data.db is not a SQLite database.");
  }
  let sql: BetterSqlite3.Database | undefined;
  try {
    sql = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    if (sql.pragma('application_id', { simple: true }) !== HEARTH_APPLICATION_ID) {
      throw new BackupError('not-a-backup', "The backup's data.db is not a Hearth database.");
    }
    const problems = (sql.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new BackupError(
        'corrupt',
        `The backup's data.db fails its integrity check (${problems.slice(0, 3).join('; ')}).`,
      );
    }
    const hasTable = sql
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'")
      .get();
    const rows = hasTable ? (sql.prepare('SELECT name FROM _migrations').pluck().all() as string[]) : [];
    return rows.sort();
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError('corrupt', `The backup's data.db cannot be read (${(err as Error).message}).`, {
      cause: err,
    });
  } finally {
    sql?.close();
  }
}
