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
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
  foreign_keys: 'ON',
  busy_timeout: 10000,
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
   * Runs `fn` once the current outermost transaction has committed; drops it if that transaction
   * (or the savepoint it was queued in) rolls back. Outside a transaction it runs at once.
   */
  afterCommit(fn: () => void): void;
  /** Moves the WAL into the main file and truncates it (at shutdown and periodically). */
  checkpoint(): void;
  close(): void;
}

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
    check.prepare('SELECT count(*) FROM sqlite_master').get();
    const rows = (size <= QUICK_CHECK_MAX_BYTES ? check.pragma('quick_check') : []) as {
      quick_check: string;
    }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new DatabaseOpenError(
        `${file} is corrupted (${problems.slice(0, 3).join('; ')}). Hearth will not touch it: restore it from a backup.`,
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

/** Opens (creating if needed) the database at `file` with Hearth's pragmas. */
export function openDatabase(file: string): Database {
  if (existsSync(file)) assertHealthy(file);
  const sql = new BetterSqlite3(file);
  for (const [name, value] of Object.entries(PRAGMAS)) sql.pragma(`${name} = ${value}`);

  // One queue per open transaction level; a savepoint's queue joins its parent's on release.
  const pending: (() => void)[][] = [];

  const transaction = <T>(fn: () => T): T => {
    const nested = sql.inTransaction;
    pending.push([]);
    let result: T;
    try {
      const run = sql.transaction(fn);
      result = nested ? run() : run.immediate();
    } catch (err) {
      pending.pop();
      throw err;
    }
    const done = pending.pop()!;
    if (nested) {
      pending[pending.length - 1]!.push(...done);
    } else {
      for (const cb of done) cb();
    }
    return result;
  };

  return {
    sql,
    file,
    transaction,
    afterCommit(fn) {
      const queue = pending[pending.length - 1];
      if (queue) queue.push(fn);
      else fn();
    },
    checkpoint() {
      sql.pragma('wal_checkpoint(TRUNCATE)');
    },
    close() {
      if (!sql.open) return;
      sql.pragma('wal_checkpoint(TRUNCATE)');
      sql.pragma('optimize');
      sql.close();
    },
  };
}
