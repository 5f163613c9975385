import type { Collection } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import type { ApiContext } from '../core/http';
import type { Deps } from '../main';
import { exportRecord } from '../records/records.export';
import { findAllowed } from '../records/records.query';
import { recordRequest } from '../records/records.request';
import { issueToken, type AuthRow } from './record-tokens';
import type { TokenClaims } from './tokens';

/** What every auth route shares: finding the auth collection, the authRule, the `{token, record}` answer. */

/** The auth collection a route names; 404 for none, 400 for a collection of another type. */
export function authCollection(deps: Deps, c: ApiContext): Collection {
  const collection = deps.collections.find(c.req.param('collection') ?? '');
  if (!collection) throw ApiError.notFound('Missing collection context.');
  if (collection.type !== 'auth') throw ApiError.badRequest('The collection is not an auth collection.');
  return collection;
}

/**
 * The collection's authRule, checked against the record that just proved who it is, with itself as
 * `@request.auth` (e.g. `verified = true`); null locks sign-in to nobody.
 */
export function checkAuthRule(deps: Deps, c: ApiContext, collection: Collection, row: AuthRow): void {
  if (collection.auth?.authRule === '') return; // everyone who proved who they are
  const request = recordRequest(c, deps.collections);
  request.info.auth = { collection, record: row };
  request.isSuperuser = false;
  let allowed: boolean;
  try {
    allowed = findAllowed(deps, collection, 'authRule', row.id, request) !== undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 403) throw err;
    allowed = false;
  }
  if (!allowed)
    throw ApiError.forbidden("The record doesn't satisfy the collection requirements to authenticate.");
}

/** PocketBase's auth answer: a fresh auth token and the record as its owner sees it. */
export function authResponse(
  deps: Deps,
  c: ApiContext,
  collection: Collection,
  row: AuthRow,
  token: { extra?: Pick<TokenClaims, 'refreshable'>; durationSeconds?: number } = {},
): Response {
  const issued = issueToken(deps, collection, row, 'auth', token.extra, token.durationSeconds);
  const request = recordRequest(c, deps.collections);
  request.info.auth = { collection, record: row };
  return c.json({ token: issued, record: exportRecord(collection, row, request) });
}
