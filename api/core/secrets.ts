import { randomBytes } from 'node:crypto';
import type { Database } from './db';
import { readParam, writeParam } from './params.store';

/**
 * Server-side secrets (token signing keys) made on first use and kept in `_params` under
 * `secret:<name>`, apart from user-editable settings: they are never listed or sent.
 */
const known = new WeakMap<Database, Map<string, string>>();

export function getOrCreateSecret(db: Database, name: string): string {
  // Secrets never change once made, so each is read from the database once per connection.
  let cache = known.get(db);
  if (!cache) known.set(db, (cache = new Map()));
  const cached = cache.get(name);
  if (cached) return cached;
  const secret = readOrCreate(db, name);
  // Kept once stored for good: a secret made in a transaction that rolls back was never saved.
  db.afterCommit(() => cache.set(name, secret));
  return secret;
}

function readOrCreate(db: Database, name: string): string {
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
