import type { Collection } from '../collections/collection.model';
import type { CollectionsRegistry } from '../collections/collections.registry';
import type { Database } from '../core/db';
import { getOrCreateSecret } from '../core/secrets';
import { quoteIdent } from '../lib/sql';
import { findRow, statement } from '../records/records.store';
import { verifyPassword } from './password';
import { peekToken, signToken, verifyToken, type TokenClaims, type TokenType } from './tokens';

/**
 * Tokens and password checks for records of any auth collection (`_superusers`, `users`, …). Each
 * collection signs with its own secret joined to the record's tokenKey (see tokens.ts).
 */
export interface RecordAuthDeps {
  db: Database;
  collections: CollectionsRegistry;
}

export type AuthRow = Record<string, unknown> & {
  id: string;
  tokenKey: string;
  password: string;
  email: string;
};

/** The `_params` name of a collection's secret for one token type (`authToken:<collectionId>`). */
export function tokenSecret(type: TokenType, collectionId: string): string {
  return `${type}Token:${collectionId}`;
}

/**
 * The signed-in record, read on every authenticated request: kept until the database changes at all
 * (Database.changeStamp), which a password or tokenKey change does.
 */
const rowsByDb = new WeakMap<Database, { stamp: string; rows: Map<string, AuthRow | undefined> }>();
const ROWS_MAX = 10_000;

function findById(db: Database, collection: Collection, id: string): AuthRow | undefined {
  const stamp = db.changeStamp();
  let cache = rowsByDb.get(db);
  if (!cache || cache.stamp !== stamp) rowsByDb.set(db, (cache = { stamp, rows: new Map() }));
  const key = `${collection.id}/${id}`;
  if (cache.rows.has(key)) return cache.rows.get(key);
  const row = findRow(db, collection, id) as AuthRow | undefined;
  if (cache.rows.size >= ROWS_MAX) cache.rows.clear();
  cache.rows.set(key, row);
  return row;
}

/** How long each token type lives, from the collection's options (PocketBase's defaults otherwise). */
function duration(collection: Collection, type: TokenType): number {
  const auth = collection.auth;
  switch (type) {
    case 'auth':
      return auth?.authToken.duration ?? 604800;
    case 'file':
      return auth?.fileToken.duration ?? 180;
    case 'verification':
      return auth?.verificationToken.duration ?? 259200;
    case 'passwordReset':
      return auth?.passwordResetToken.duration ?? 1800;
    case 'emailChange':
      return auth?.emailChangeToken.duration ?? 1800;
  }
}

/**
 * A token of `type` for a record, valid for the collection's duration of that type unless given.
 * `extra` carries the type's own claims (email, newEmail; refreshable false for impersonation).
 */
export function issueToken(
  deps: RecordAuthDeps,
  collection: Collection,
  row: { id: string; tokenKey: string },
  type: TokenType,
  extra: Pick<TokenClaims, 'email' | 'newEmail' | 'refreshable'> = {},
  durationSeconds = duration(collection, type),
): string {
  const secret = getOrCreateSecret(deps.db, tokenSecret(type, collection.id));
  const claims = type === 'auth' ? { refreshable: true, ...extra } : extra;
  return signToken(
    { id: row.id, collectionId: collection.id, type, ...claims },
    { secret, tokenKey: row.tokenKey },
    durationSeconds,
  );
}

/**
 * The record a token of `type` was issued to, with its claims; null for anything but a valid,
 * unexpired token of that type whose record still has the tokenKey it was signed with.
 */
export function verifyRecordToken(
  deps: RecordAuthDeps,
  token: string,
  type: TokenType,
): { collection: Collection; row: AuthRow; claims: TokenClaims } | null {
  const peeked = peekToken(token, type);
  if (!peeked) return null;
  const collection = deps.collections.find(peeked.collectionId);
  if (collection?.type !== 'auth' || collection.id !== peeked.collectionId) return null;
  const row = findById(deps.db, collection, peeked.id);
  if (!row) return null;
  const secret = getOrCreateSecret(deps.db, tokenSecret(type, collection.id));
  const claims = verifyToken(token, { secret, tokenKey: row.tokenKey }, type);
  return claims ? { collection, row, claims } : null;
}

/** The auth record an auth token belongs to, or null for anything that is not a valid, current one. */
export function authenticateToken(
  deps: RecordAuthDeps,
  token: string,
): { collection: Collection; row: AuthRow; claims: TokenClaims } | null {
  let verified = verifiedByDb.get(deps.db);
  if (!verified) verifiedByDb.set(deps.db, (verified = new Map()));
  const known = verified.get(token);
  if (known && known.claims.exp > Date.now() / 1000) {
    // Checked before with this tokenKey: still valid while the record keeps that key.
    const collection = deps.collections.find(known.claims.collectionId);
    const row = collection?.type === 'auth' ? findById(deps.db, collection, known.claims.id) : undefined;
    if (collection && row && row.tokenKey === known.tokenKey)
      return { collection, row, claims: known.claims };
    verified.delete(token);
    return null;
  }
  const found = verifyRecordToken(deps, token, 'auth');
  if (!found) return null;
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(token, { tokenKey: found.row.tokenKey, claims: found.claims });
  return found;
}

/**
 * Tokens whose signature was checked, with the tokenKey they were checked against: a signed-in
 * client sends the same token on every request, and the HMAC need not be redone while the record
 * keeps that tokenKey (a password or email change rotates it) and the token has not expired.
 * Bounded; the oldest entry goes first.
 */
const verifiedByDb = new WeakMap<Database, Map<string, { tokenKey: string; claims: TokenClaims }>>();
const VERIFIED_MAX = 10_000;

/**
 * The record whose identity field (email) and password match; null for any mismatch. An unknown
 * identity is verified against `dummyHash` so that timing does not reveal which accounts exist.
 */
export async function checkRecordPassword(
  deps: RecordAuthDeps,
  collection: Collection,
  identity: string,
  password: string,
  dummyHash: () => Promise<string>,
): Promise<AuthRow | null> {
  const fields = (collection.auth?.passwordAuth.identityFields ?? ['email']).filter((f) =>
    collection.fields.some((x) => x.name === f),
  );
  let row: AuthRow | undefined;
  for (const field of fields) {
    row = statement(
      deps.db,
      `SELECT * FROM ${quoteIdent(collection.name)} WHERE ${quoteIdent(field)} = ? COLLATE NOCASE LIMIT 1`,
    ).get(identity.trim()) as AuthRow | undefined;
    if (row) break;
  }
  const ok = await verifyPassword(row?.password || (await dummyHash()), password);
  return row && ok ? row : null;
}
