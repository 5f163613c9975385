import type BetterSqlite3 from 'better-sqlite3';

/**
 * `_superusers`, with the system fields of a PocketBase auth collection. Emails compare without
 * case, as PocketBase's unique email index does.
 */
export function up(sql: BetterSqlite3.Database): void {
  sql.exec(`CREATE TABLE _superusers (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    emailVisibility INTEGER NOT NULL DEFAULT 0,
    verified INTEGER NOT NULL DEFAULT 0,
    password TEXT NOT NULL,
    tokenKey TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
  )`);
  sql.exec('CREATE UNIQUE INDEX idx_superusers_email ON _superusers (email COLLATE NOCASE)');
  sql.exec('CREATE UNIQUE INDEX idx_superusers_tokenKey ON _superusers (tokenKey)');
}
