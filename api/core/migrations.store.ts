import type { Database } from './db';

/** The SQL of `_migrations`: which migration ran, and when (ISO 8601 UTC). */
export interface MigrationRow {
  name: string;
  applied: string;
}

export function ensureMigrationsTable(db: Database): void {
  db.sql.exec(
    'CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY NOT NULL, applied TEXT NOT NULL) STRICT',
  );
}

/** Every recorded migration; none when the table does not exist yet (a new or read-only database). */
export function readMigrationRows(db: Database): MigrationRow[] {
  const exists = db.sql
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'")
    .get();
  return exists ? (db.sql.prepare('SELECT name, applied FROM _migrations').all() as MigrationRow[]) : [];
}

export function isMigrationRecorded(db: Database, name: string): boolean {
  return db.sql.prepare('SELECT 1 FROM _migrations WHERE name = ?').get(name) !== undefined;
}

export function recordMigration(db: Database, name: string, applied: string): void {
  db.sql.prepare('INSERT INTO _migrations (name, applied) VALUES (?, ?)').run(name, applied);
}
