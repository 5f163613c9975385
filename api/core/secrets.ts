import { randomBytes } from 'node:crypto';
import type { Database } from './db';
import { readParam, writeParam } from './params.store';

/**
 * Server-side secrets (token signing keys) made on first use and kept in `_params` under
 * `secret:<name>`, apart from user-editable settings: they are never listed or sent.
 */
export function getOrCreateSecret(db: Database, name: string): string {
  const key = `secret:${name}`;
  const existing = readParam(db, key);
  if (existing) return JSON.parse(existing) as string;
  return db.transaction(() => {
    // Another process may have made it between our read and this write transaction.
    const raced = readParam(db, key);
    if (raced) return JSON.parse(raced) as string;
    const secret = randomBytes(32).toString('base64url');
    writeParam(db, key, JSON.stringify(secret));
    return secret;
  });
}
