import { randomBytes } from 'node:crypto';
import type { Database } from './db';

/**
 * Server-side secrets (token signing keys) made on first use and kept in `_params` under
 * `secret:<name>`, apart from user-editable settings: they are never listed or sent.
 */
export function getOrCreateSecret(db: Database, name: string): string {
  const key = `secret:${name}`;
  const read = db.sql.prepare('SELECT value FROM _params WHERE key = ?').pluck();
  const existing = read.get(key) as string | undefined;
  if (existing) return JSON.parse(existing) as string;
  return db.transaction(() => {
    // Another process may have made it between our read and this write transaction.
    const raced = read.get(key) as string | undefined;
    if (raced) return JSON.parse(raced) as string;
    const secret = randomBytes(32).toString('base64url');
    db.sql
      .prepare('INSERT INTO _params (key, value, updated) VALUES (?, ?, ?)')
      .run(key, JSON.stringify(secret), new Date().toISOString());
    return secret;
  });
}
