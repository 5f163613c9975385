import type { Database } from './db';

/** The SQL of `_params` (settings and server-side secrets, one JSON value per key). */
export interface ParamRow {
  key: string;
  value: string;
}

export function readParam(db: Database, key: string): string | undefined {
  return db.sql.prepare('SELECT value FROM _params WHERE key = ?').pluck().get(key) as string | undefined;
}

export function readAllParams(db: Database): ParamRow[] {
  return db.sql.prepare('SELECT key, value FROM _params').all() as ParamRow[];
}

/** Stores `json` (already serialized) under `key`, replacing any earlier value. */
export function writeParam(db: Database, key: string, json: string): void {
  db.sql
    .prepare(
      `INSERT INTO _params (key, value, updated) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
    )
    .run(key, json, new Date().toISOString());
}

export function deleteParam(db: Database, key: string): void {
  db.sql.prepare('DELETE FROM _params WHERE key = ?').run(key);
}
