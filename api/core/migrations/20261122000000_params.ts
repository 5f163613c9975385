import type BetterSqlite3 from 'better-sqlite3';

/** Settings and server-side secrets, one JSON value per key. */
export function up(sql: BetterSqlite3.Database): void {
  sql.exec(`CREATE TABLE _params (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated TEXT NOT NULL
  ) STRICT`);
}
