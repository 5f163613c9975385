import type { Collection } from '../collections/collection.model';
import type { CollectionsRegistry } from '../collections/collections.registry';
import type { Database } from '../core/db';
import { getOrCreateSecret } from '../core/secrets';
import { quoteIdent } from '../lib/sql';
import { findRow, statement } from '../records/records.store';
import { verifyPassword } from './password';
import { peekAuthToken, signAuthToken, verifyAuthToken } from './tokens';

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

/** The `_params` name of a collection's token secret. */
export function authTokenSecret(collectionId: string): string {
  return `authToken:${collectionId}`;
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

/** A fresh auth token for a record, valid for the collection's authToken duration unless given. */
export function issueRecordToken(
  deps: RecordAuthDeps,
  collection: Collection,
  row: { id: string; tokenKey: string },
  durationSeconds = collection.auth?.authToken.duration ?? 604800,
): Promise<string> {
  const secret = getOrCreateSecret(deps.db, authTokenSecret(collection.id));
  return signAuthToken(
    { id: row.id, collectionId: collection.id },
    { secret, tokenKey: row.tokenKey },
    durationSeconds,
  );
}

/** The `_params` name of a collection's file token secret (apart from the auth one, as PocketBase). */
function fileTokenSecret(collectionId: string): string {
  return `fileToken:${collectionId}`;
}

/** A short-lived token for protected files (collection option fileToken.duration, 180 s by default). */
export function issueFileToken(
  deps: RecordAuthDeps,
  collection: Collection,
  row: { id: string; tokenKey: string },
): Promise<string> {
  const secret = getOrCreateSecret(deps.db, fileTokenSecret(collection.id));
  const duration = collection.auth?.fileToken.duration ?? 180;
  return signAuthToken(
    { id: row.id, collectionId: collection.id },
    { secret, tokenKey: row.tokenKey },
    duration,
    'file',
  );
}

/** The auth record a file token was issued to, or null for anything but a valid, unexpired one. */
export async function authenticateFileToken(
  deps: RecordAuthDeps,
  token: string,
): Promise<{ collection: Collection; row: AuthRow } | null> {
  const claims = peekAuthToken(token, 'file');
  if (!claims) return null;
  const collection = deps.collections.find(claims.collectionId);
  if (collection?.type !== 'auth' || collection.id !== claims.collectionId) return null;
  const row = findById(deps.db, collection, claims.id);
  if (!row) return null;
  const secret = getOrCreateSecret(deps.db, fileTokenSecret(collection.id));
  const exp = await verifyAuthToken(token, { secret, tokenKey: row.tokenKey }, 'file');
  return exp === null ? null : { collection, row };
}

/** The auth record a token belongs to, or null for anything that is not a valid, current token. */
export async function authenticateToken(
  deps: RecordAuthDeps,
  token: string,
): Promise<{ collection: Collection; row: AuthRow } | null> {
  let verified = verifiedByDb.get(deps.db);
  if (!verified) verifiedByDb.set(deps.db, (verified = new Map()));
  const known = verified.get(token);
  if (known && known.exp > Date.now() / 1000) {
    // Checked before with this tokenKey: still valid while the record keeps that key.
    const collection = deps.collections.find(known.collectionId);
    const row = collection?.type === 'auth' ? findById(deps.db, collection, known.id) : undefined;
    if (collection && row && row.tokenKey === known.tokenKey) return { collection, row };
    verified.delete(token);
    return null;
  }
  const claims = peekAuthToken(token);
  if (!claims) return null;
  const collection = deps.collections.find(claims.collectionId);
  if (collection?.type !== 'auth' || collection.id !== claims.collectionId) return null;
  const row = findById(deps.db, collection, claims.id);
  if (!row) return null;
  const secret = getOrCreateSecret(deps.db, authTokenSecret(collection.id));
  const exp = await verifyAuthToken(token, { secret, tokenKey: row.tokenKey });
  if (exp === null) return null;
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(token, { collectionId: collection.id, id: row.id, tokenKey: row.tokenKey, exp });
  return { collection, row };
}

/**
 * Tokens whose signature was checked, with the tokenKey they were checked against: a signed-in
 * client sends the same token on every request, and the HMAC need not be redone while the record
 * keeps that tokenKey (a password or email change rotates it) and the token has not expired.
 * Bounded; the oldest entry goes first.
 */
const verifiedByDb = new WeakMap<
  Database,
  Map<string, { collectionId: string; id: string; tokenKey: string; exp: number }>
>();
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
