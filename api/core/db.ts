import BetterSqlite3 from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/**
 * The one module that opens data.db. Everything else gets a `Database` and runs its SQL through
 * `sql` (in its own store file) inside `transaction`.
 *
 * Durability (docs/operating.md): WAL with synchronous=NORMAL. A write is acknowledged after its
 * COMMIT reached the WAL file through the OS, so it survives a crash of the process (SIGKILL, OOM).
 * A power loss or kernel crash can lose the transactions committed since the last WAL sync (at most
 * the ones since the last checkpoint); the database itself stays consistent.
 */
export const PRAGMAS = {
  // First: every later pragma (journal_mode above all) may have to wait for another process's lock.
  busy_timeout: 10000,
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
  foreign_keys: 'ON',
  journal_size_limit: 200000000,
  temp_store: 'MEMORY',
  cache_size: -32000,
} as const;

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

export interface Database {
  /** The raw connection, for store files and migrations. */
  readonly sql: BetterSqlite3.Database;
  readonly file: string;
  /**
   * Runs `fn` in a transaction (BEGIN IMMEDIATE, so writers queue on the busy timeout instead of
   * failing on lock upgrade). Nested calls become savepoints. Throwing rolls back.
   */
  transaction<T>(fn: () => T): T;
  /**
   * `PRAGMA data_version`: changes when another connection (a CLI command, another process) committed.
   * Caches of database state check it to know when to reload.
   */
  dataVersion(): number;
  /**
   * Changes whenever the database may have changed: any row written through this connection
   * (`total_changes()`, rolled-back writes included) or a commit by another (dataVersion). Caches of
   * query results compare it to know they are still current.
   */
  changeStamp(): string;
  /**
   * Runs `fn` once the current outermost transaction has committed; drops it if that transaction
   * (or the savepoint it was queued in) rolls back. Outside a transaction it runs at once.
   */
  afterCommit(fn: () => void): void;
  /**
   * Runs `fn` if the current transaction level (or, once a savepoint is released into it, its parent)
   * rolls back: undoes work outside the database, such as files moved into place. Dropped on commit.
   * Outside a transaction it is never run.
   */
  afterRollback(fn: () => void): void;
  /**
   * Runs `PRAGMA optimize`, moves the WAL into the main file and closes. `checkpointed` is false when
   * another process (a CLI command) held the database and the WAL could not be emptied; nothing is
   * lost then, the next opener folds it in.
   */
  close(): { checkpointed: boolean };
}

/** `PRAGMA application_id` of Hearth databases ("HRTH"), so a foreign SQLite file is never touched. */
export const HEARTH_APPLICATION_ID = 0x48525448;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * `PRAGMA quick_check` reads every page (about 2 s per GiB here), so at start it runs only on files up
 * to this size; larger ones get the header and schema check, and SQLite reports a bad page when it
 * meets it. docs/operating.md says so.
 */
export const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Refuses a file that is not a healthy SQLite database, without writing a byte to it: the check runs
 * on a read-only connection before WAL mode (which rewrites the header) is switched on.
 */
function assertHealthy(file: string): void {
  const size = statSync(file).size;
  if (size === 0) return; // SQLite treats an empty file as an empty database.
  const header = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 100 || !header.equals(SQLITE_MAGIC)) {
    throw new DatabaseOpenError(
      `${file} is not a SQLite database (bad header). Hearth will not touch it: restore it from a backup or move it away.`,
    );
  }
  let check: BetterSqlite3.Database | undefined;
  try {
    check = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const tables = check
      .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .get() as number;
    const rows = (size <= QUICK_CHECK_MAX_BYTES ? check.pragma('quick_check') : []) as {
      quick_check: string;
    }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new DatabaseOpenError(
        `${file} is corrupted (${problems.slice(0, 3).join('; ')}). Hearth will not touch it: restore it from a backup.`,
      );
    }
    if (tables > 0 && check.pragma('application_id', { simple: true }) !== HEARTH_APPLICATION_ID) {
      throw new DatabaseOpenError(
        `${file} is a SQLite database of another application, not Hearth's. Hearth will not touch it: check --dir.`,
      );
    }
  } catch (err) {
    if (err instanceof DatabaseOpenError) throw err;
    throw new DatabaseOpenError(
      `${file} cannot be read as a SQLite database (${(err as Error).message}). Hearth will not touch it: restore it from a backup.`,
      { cause: err },
    );
  } finally {
    check?.close();
  }
}

/** Runs `fn`; false when SQLite answered busy or locked (another connection holds the database). */
function ignoreBusy(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof BetterSqlite3.SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(err.code)) return false;
    throw err;
  }
}

/**
 * Opens (creating if needed) the database at `file` with Hearth's pragmas. With `readonly` it only
 * reads: no WAL switch, no mark, no file created (for `hearth migrate status`).
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Database {
  const exists = existsSync(file);
  if (exists) assertHealthy(file);
  else if (options.readonly) throw new DatabaseOpenError(`There is no Hearth database at ${file}.`);
  const sql = new BetterSqlite3(file, { readonly: options.readonly ?? false });
  try {
    if (options.readonly) {
      sql.pragma(`busy_timeout = ${PRAGMAS.busy_timeout}`);
    } else {
      for (const [name, value] of Object.entries(PRAGMAS)) sql.pragma(`${name} = ${value}`);
      if (sql.pragma('journal_mode', { simple: true }) !== 'wal') {
        throw new DatabaseOpenError(
          `${file} cannot use WAL mode here (a network or read-only file system?).`,
        );
      }
      if (sql.pragma('application_id', { simple: true }) !== HEARTH_APPLICATION_ID) {
        sql.pragma(`application_id = ${HEARTH_APPLICATION_ID}`);
      }
    }
  } catch (err) {
    sql.close();
    if (err instanceof DatabaseOpenError) throw err;
    throw new DatabaseOpenError(`${file} cannot be opened for writing (${(err as Error).message}).`, {
      cause: err,
    });
  }

  // One queue per open transaction level; a savepoint's queue joins its parent's on release.
  const pending: (() => void)[][] = [];
  const undo: (() => void)[][] = [];

  // Prepared once: better-sqlite3's own sql.transaction(fn) builds new wrapper functions on every
  // call, which cost a record create about a tenth of its time (docs/BENCHMARKS.md).
  const control = options.readonly
    ? undefined
    : {
        begin: sql.prepare('BEGIN IMMEDIATE'),
        commit: sql.prepare('COMMIT'),
        rollback: sql.prepare('ROLLBACK'),
        savepoint: sql.prepare('SAVEPOINT nested'),
        release: sql.prepare('RELEASE nested'),
        rollbackTo: sql.prepare('ROLLBACK TO nested'),
      };
  const version = sql.prepare('PRAGMA data_version').pluck();
  const changes = sql.prepare('SELECT total_changes()').pluck();
  let versionValue = -1;
  let versionAt = -Infinity;

  const transaction = <T>(fn: () => T): T => {
    if (!control) throw new DatabaseOpenError(`${file} is open read-only.`);
    const nested = sql.inTransaction;
    (nested ? control.savepoint : control.begin).run();
    pending.push([]);
    undo.push([]);
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) {
        // Awaited work would run after COMMIT, outside the transaction: refuse it, as better-sqlite3 does.
        throw new TypeError('Transaction function cannot return a promise');
      }
      (nested ? control.release : control.commit).run();
    } catch (err) {
      pending.pop();
      const undone = undo.pop()!;
      if (sql.inTransaction) {
        if (nested) {
          control.rollbackTo.run();
          control.release.run();
        } else {
          control.rollback.run();
        }
      }
      for (const cb of undone.reverse()) cb();
      throw err;
    }
    const done = pending.pop()!;
    const undone = undo.pop()!;
    if (nested) {
      pending[pending.length - 1]!.push(...done);
      undo[undo.length - 1]!.push(...undone);
    } else {
      for (const cb of done) cb();
    }
    return result;
  };

  return {
    sql,
    file,
    transaction,
    changeStamp() {
      return `${this.dataVersion()}:${String(changes.get())}`;
    },
    dataVersion() {
      // Asked several times per request (collections, settings, caches) and not free (about 3 µs):
      // one answer serves for a millisecond. This connection's own writes never change it, so the
      // reuse can only delay noticing another process's commit by that millisecond.
      const now = performance.now();
      if (now - versionAt > 1) {
        versionValue = version.get() as number;
        versionAt = now;
      }
      return versionValue;
    },
    afterCommit(fn) {
      const queue = pending[pending.length - 1];
      if (queue) queue.push(fn);
      else fn();
    },
    afterRollback(fn) {
      undo[undo.length - 1]?.push(fn);
    },
    close() {
      if (!sql.open) return { checkpointed: true };
      if (sql.readonly) {
        sql.close();
        return { checkpointed: true };
      }
      try {
        // optimize first: it may write, and those pages should be in the checkpoint too. Both are
        // housekeeping: when another process (a CLI command, a second server) holds the lock they
        // are skipped, never an error — the next opener folds the WAL in.
        if (!ignoreBusy(() => sql.pragma('optimize'))) return { checkpointed: false };
        let checkpointed = false;
        ignoreBusy(() => {
          const [result] = sql.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
          checkpointed = result?.busy === 0;
        });
        return { checkpointed };
      } finally {
        sql.close();
      }
    },
  };
}
