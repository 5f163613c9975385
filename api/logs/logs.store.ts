import type BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { DatabaseOpenError, openDatabase, type Database } from '../core/db';
import type { SqlValue } from '../lib/sql';

/**
 * The SQL of the logs: `_logs` in `<dir>/auxiliary.db`, PocketBase's file name for it. A database of
 * its own so that a flood of requests writing entries never queues behind, or holds up, a write to
 * data.db, and a backup of data.db need not carry them.
 *
 * Its schema is made here rather than by a migration: api/migrations.ts gathers every capability's
 * migrations for data.db. `PRAGMA user_version` says which version of it a file has.
 */
export const AUXILIARY_FILE = 'auxiliary.db';

const SCHEMA_VERSION = 1;

// Columns as PocketBase's (migrations/1640988000_aux_init.go); `created` is PocketBase's datetime
// text, so comparing it as text compares times. Only `created` is indexed (retention, time filters,
// the hourly stats walk it in order): every index is paid for by every request's entry.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS _logs (
    id      TEXT PRIMARY KEY NOT NULL,
    level   INTEGER DEFAULT 0 NOT NULL,
    message TEXT DEFAULT '' NOT NULL,
    data    JSON DEFAULT '{}' NOT NULL,
    created TEXT DEFAULT '' NOT NULL
  );
  CREATE INDEX IF NOT EXISTS idx_logs_created ON _logs (created);
`;

/** One row of `_logs`; `data` is JSON text. */
export interface LogRow {
  id: string;
  created: string;
  level: number;
  message: string;
  data: string;
}

/** A WHERE fragment with its bound values (from logs.resolver.ts), or null for every row. */
export interface LogWhere {
  sql: string;
  params: Record<string, SqlValue>;
}

export interface LogsStatsItem {
  total: number;
  /** The hour, `2026-11-22 08:00:00.000Z`. */
  date: string;
}

const COLUMNS = 'id, created, level, message, data';
const INSERT_CHUNK = 50;

export class LogStore {
  readonly db: Database;
  readonly #insert: BetterSqlite3.Statement;
  readonly #insertChunk: BetterSqlite3.Statement;
  readonly #find: BetterSqlite3.Statement;
  readonly #deleteBefore: BetterSqlite3.Statement;
  readonly #trimOldest: BetterSqlite3.Statement;
  readonly #countAll: BetterSqlite3.Statement;

  private constructor(db: Database) {
    this.db = db;
    const sql = db.sql;
    const insert = 'INSERT INTO _logs (id, created, level, message, data) VALUES ';
    this.#insert = sql.prepare(`${insert}(?, ?, ?, ?, ?)`);
    this.#insertChunk = sql.prepare(insert + new Array(INSERT_CHUNK).fill('(?, ?, ?, ?, ?)').join(', '));
    this.#find = sql.prepare(`SELECT ${COLUMNS} FROM _logs WHERE id = ?`);
    this.#deleteBefore = sql.prepare('DELETE FROM _logs WHERE created <= ?');
    this.#trimOldest = sql.prepare(
      'DELETE FROM _logs WHERE rowid IN (SELECT rowid FROM _logs ORDER BY rowid LIMIT ?)',
    );
    this.#countAll = sql.prepare('SELECT count(*) FROM _logs').pluck();
  }

  /**
   * Opens (creating if needed) `<dir>/auxiliary.db` with Hearth's pragmas and health checks. A damaged
   * file is refused like data.db; as it holds nothing but logs, the message says it may be moved away.
   */
  static open(dir: string): LogStore {
    const file = join(dir, AUXILIARY_FILE);
    let db: Database;
    try {
      db = openDatabase(file);
    } catch (err) {
      if (!(err instanceof DatabaseOpenError)) throw err;
      throw new DatabaseOpenError(
        `${err.message} It holds only the logs: moving it away loses nothing else.`,
        { cause: err },
      );
    }
    try {
      db.transaction(() => {
        const version = db.sql.pragma('user_version', { simple: true }) as number;
        if (version > SCHEMA_VERSION) {
          throw new DatabaseOpenError(
            `${file} was written by a newer Hearth (logs schema ${version}). It holds only the logs: moving it away loses nothing else.`,
          );
        }
        db.sql.exec(SCHEMA);
        if (version < SCHEMA_VERSION) db.sql.pragma(`user_version = ${SCHEMA_VERSION}`);
      });
      return new LogStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Writes the rows in one transaction, INSERT_CHUNK rows to a statement: a commit costs about what
   * a row does, and one statement of many rows binds them for less than as many statements would.
   */
  insert(rows: readonly LogRow[]): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      let i = 0;
      for (; i + INSERT_CHUNK <= rows.length; i += INSERT_CHUNK) {
        const values: unknown[] = [];
        for (let j = i; j < i + INSERT_CHUNK; j++) {
          const r = rows[j]!;
          values.push(r.id, r.created, r.level, r.message, r.data);
        }
        this.#insertChunk.run(values);
      }
      for (; i < rows.length; i++) {
        const r = rows[i]!;
        this.#insert.run(r.id, r.created, r.level, r.message, r.data);
      }
    });
  }

  find(id: string): LogRow | undefined {
    return this.#find.get(id) as LogRow | undefined;
  }

  /** A page of rows; `orderBy` comes from the sort compiler, never from a client's text. */
  list(where: LogWhere | null, orderBy: string, limit: number, offset: number): LogRow[] {
    const params = { ...where?.params, __limit: limit, __offset: offset };
    return this.db.sql
      .prepare(
        `SELECT ${COLUMNS} FROM _logs${whereClause(where)} ORDER BY ${orderBy} LIMIT :__limit OFFSET :__offset`,
      )
      .all(params) as LogRow[];
  }

  count(where: LogWhere | null): number {
    if (!where) return this.#countAll.get() as number;
    return this.db.sql
      .prepare(`SELECT count(*) FROM _logs${whereClause(where)}`)
      .pluck()
      .get(where.params) as number;
  }

  /**
   * Entries per hour, oldest first, as PocketBase's LogsStats (core/log_query.go): `created` is fixed
   * width, so its first 13 characters are the hour.
   */
  stats(where: LogWhere | null): LogsStatsItem[] {
    return this.db.sql
      .prepare(
        `SELECT count(*) AS total, substr(created, 1, 13) || ':00:00.000Z' AS date FROM _logs${whereClause(where)} GROUP BY substr(created, 1, 13) ORDER BY date`,
      )
      .all(where?.params ?? {}) as LogsStatsItem[];
  }

  /** Deletes the entries created at or before `created` (PocketBase's DeleteOldLogs); how many. */
  deleteCreatedBefore(created: string): number {
    return this.#deleteBefore.run(created).changes;
  }

  /** Deletes the `count` oldest entries (by insertion order); how many. */
  deleteOldest(count: number): number {
    if (count <= 0) return 0;
    return this.#trimOldest.run(count).changes;
  }

  total(): number {
    return this.#countAll.get() as number;
  }

  close(): { checkpointed: boolean } {
    return this.db.close();
  }
}

function whereClause(where: LogWhere | null): string {
  return where ? ` WHERE ${where.sql}` : '';
}
