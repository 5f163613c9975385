import { randomBytes } from 'node:crypto';
import type { Collection } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import type { ApiContext } from '../core/http';
import { newRecordId } from '../lib/id';
import { formatDateTime } from '../lib/time';
import type { Deps } from '../main';
import { recordRequest } from '../records/records.request';
import { createRecord, deleteWithCascade } from '../records/records.service';
import { findRow, insertRow, statement, updateRow } from '../records/records.store';
import type { AuthRow } from './record-tokens';

/**
 * Identities from outside linked to accounts — an OAuth2/OIDC provider's user id, an Ethereum
 * address — kept in PocketBase's `_externalAuths` collection (owners list and remove theirs through
 * the records API). What every external sign-in method shares: find the account an identity
 * belongs to, link one, and sign a new account up for it.
 */
export interface Identity {
  /** `google`, `oidc`, `siwe`, … */
  provider: string;
  /** The provider's id for the user (for SIWE the checksummed address). */
  providerId: string;
}

function externalAuths(deps: Deps): Collection {
  const found = deps.collections.find('_externalAuths');
  if (!found) throw new Error('The _externalAuths collection is missing (migration 20261122080000).');
  return found;
}

/** The account of `collection` this identity is linked to. A link to a record that is gone is dropped. */
export function findLinked(deps: Deps, collection: Collection, identity: Identity): AuthRow | undefined {
  const recordId = statement(
    deps.db,
    'SELECT recordRef FROM _externalAuths WHERE collectionRef = ? AND provider = ? AND providerId = ? LIMIT 1',
    true,
  ).get(collection.id, identity.provider, identity.providerId) as string | undefined;
  if (recordId === undefined) return undefined;
  const row = findRow(deps.db, collection, recordId) as AuthRow | undefined;
  if (!row) {
    deps.db.transaction(() =>
      statement(
        deps.db,
        'DELETE FROM _externalAuths WHERE collectionRef = ? AND provider = ? AND providerId = ?',
      ).run(collection.id, identity.provider, identity.providerId),
    );
  }
  return row;
}

/**
 * Whether another sign-in method may be linked to this account. Not while it has an email it never
 * proved: whoever signed up may not own the address, and a link made then would survive the real
 * owner claiming the account (by a password reset, say).
 */
export function assertLinkable(row: Record<string, unknown>): void {
  if (row['email'] && !row['verified']) {
    throw ApiError.forbidden('Verify your email address before linking another way to sign in.');
  }
}

/**
 * Drops the identities linked to an account, but `keep`: when an unverified account is claimed by
 * proof of its email, links made before belong to whoever signed it up, not to the owner.
 */
export function unlinkOthers(deps: Deps, collection: Collection, recordId: string, keep?: Identity): void {
  statement(
    deps.db,
    'DELETE FROM _externalAuths WHERE collectionRef = ? AND recordRef = ? AND NOT (provider = ? AND providerId = ?)',
  ).run(collection.id, recordId, keep?.provider ?? '', keep?.providerId ?? '');
}

/** Links an identity to an account (inside the caller's transaction); throws if it is linked already. */
export function link(deps: Deps, collection: Collection, recordId: string, identity: Identity): void {
  const now = formatDateTime(new Date());
  insertRow(deps.db, externalAuths(deps), {
    id: newRecordId(),
    collectionRef: collection.id,
    recordRef: recordId,
    provider: identity.provider,
    providerId: identity.providerId,
    created: now,
    updated: now,
  });
}

/**
 * Signs up a new account for an identity through the ordinary create path — the collection's
 * createRule and validation apply, as PocketBase does for OAuth2 sign-ups — with a random password
 * nobody knows, then links the identity. `verified` marks an address the provider vouched for.
 * Two first sign-ins racing for one identity end with one account: the loser's is removed.
 */
export async function signUpWithIdentity(
  deps: Deps,
  c: ApiContext,
  collection: Collection,
  identity: Identity,
  data: Record<string, unknown>,
  options: { verified: boolean },
): Promise<AuthRow> {
  const password = randomBytes(24).toString('base64url');
  const input = { ...data, password, passwordConfirm: password };
  const created = await createRecord(deps, collection, input, recordRequest(c, deps.collections, input));
  const id = String(created['id']);
  try {
    deps.db.transaction(() => {
      if (options.verified) updateRow(deps.db, collection, id, { verified: 1 });
      link(deps, collection, id, identity);
    });
  } catch (err) {
    const winner = findLinked(deps, collection, identity);
    if (!winner) throw err;
    deps.db.transaction(() =>
      deleteWithCascade(deps, collection, findRow(deps.db, collection, id)!, new Set()),
    );
    return winner;
  }
  return findRow(deps.db, collection, id) as AuthRow;
}
