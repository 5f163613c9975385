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

function findById(db: Database, collection: Collection, id: string): AuthRow | undefined {
  return findRow(db, collection, id) as AuthRow | undefined;
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

/** The auth record a token belongs to, or null for anything that is not a valid, current token. */
export async function authenticateToken(
  deps: RecordAuthDeps,
  token: string,
): Promise<{ collection: Collection; row: AuthRow } | null> {
  const claims = peekAuthToken(token);
  if (!claims) return null;
  const collection = deps.collections.find(claims.collectionId);
  if (collection?.type !== 'auth' || collection.id !== claims.collectionId) return null;
  const row = findById(deps.db, collection, claims.id);
  if (!row) return null;
  const secret = getOrCreateSecret(deps.db, authTokenSecret(collection.id));
  return (await verifyAuthToken(token, { secret, tokenKey: row.tokenKey })) ? { collection, row } : null;
}

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
