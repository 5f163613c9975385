import type { Collection } from '../collections/collection.model';
import { ApiError, fieldError } from '../core/errors';
import { SUPERUSERS, readJsonBody, requestHeader, type ApiApp, type ApiContext } from '../core/http';
import type { Deps } from '../main';
import { exportRecord } from '../records/records.export';
import { findAllowed } from '../records/records.query';
import { recordRequest } from '../records/records.request';
import { authenticateToken, checkRecordPassword, issueToken, type AuthRow } from './record-tokens';
import { createSuperuser, dummyHash, PASSWORD_MIN, superuserCount, warmUpSuperuserAuth } from './superusers';

/**
 * Request auth for every auth collection: the `Authorization` header (the raw token, as PocketBase
 * sends it; "Bearer " is accepted too) becomes `c.get('auth')`. Password sign-in and refresh under
 * /api/collections/{authCollection}/ (the accounts issue adds the other methods), and Hearth's
 * first-run setup under /api/hearth/setup.
 */
export function register(app: ApiApp, deps: Deps): void {
  warmUpSuperuserAuth();
  app.use('*', async (c, next) => {
    const header = requestHeader(c, 'authorization');
    if (header) {
      const found = authenticateToken(deps, header.replace(/^Bearer\s+/i, ''));
      if (found) {
        c.set('auth', {
          id: found.row.id,
          collectionId: found.collection.id,
          collectionName: found.collection.name,
          email: found.row.email,
          row: found.row,
        });
      }
    }
    await next();
  });

  const authCollection = (c: ApiContext): Collection => {
    const collection = deps.collections.find(c.req.param('collection') ?? '');
    if (!collection) throw ApiError.notFound('Missing collection context.');
    if (collection.type !== 'auth') throw ApiError.badRequest('The collection is not an auth collection.');
    return collection;
  };

  app.post('/api/collections/:collection/auth-with-password', async (c) => {
    const collection = authCollection(c);
    if (collection.auth && !collection.auth.passwordAuth.enabled) {
      throw ApiError.forbidden('The collection is not configured to allow password authentication.');
    }
    const { identity, password } = await readJsonBody(c);
    const data = {
      ...(typeof identity !== 'string' || identity === ''
        ? fieldError('identity', 'validation_required', 'Cannot be blank')
        : {}),
      ...(typeof password !== 'string' || password === ''
        ? fieldError('password', 'validation_required', 'Cannot be blank')
        : {}),
    };
    if (Object.keys(data).length > 0) throw ApiError.badRequest('Failed to authenticate.', data);
    const row = await checkRecordPassword(
      deps,
      collection,
      identity as string,
      password as string,
      dummyHash,
    );
    if (!row) throw ApiError.badRequest('Failed to authenticate.');
    checkAuthRule(c, collection, row);
    return authResponse(c, collection, row);
  });

  app.post('/api/collections/:collection/auth-refresh', async (c) => {
    const collection = authCollection(c);
    const auth = c.get('auth');
    if (!auth) throw ApiError.unauthorized('The request requires valid record authorization token.');
    if (auth.collectionId !== collection.id) {
      throw ApiError.forbidden('The authorized record is not allowed to perform this action.');
    }
    checkAuthRule(c, collection, auth.row as AuthRow);
    return authResponse(c, collection, auth.row as AuthRow);
  });

  // First-run setup: the gate exists only when there was no superuser at start.
  const gate = deps.setupGate;

  app.get('/api/hearth/setup', (c) =>
    c.json({ required: superuserCount(deps) === 0, passwordMin: PASSWORD_MIN }),
  );

  app.post('/api/hearth/setup', async (c) => {
    const body = await readJsonBody(c);
    if (!gate || superuserCount(deps) > 0) throw ApiError.forbidden('Hearth is already set up.');
    if (gate.expired()) {
      throw ApiError.forbidden(
        'The setup code has expired. Restart Hearth for a new link, or run `hearth superuser upsert`.',
      );
    }
    if (!gate.accepts(body['code'])) {
      throw ApiError.forbidden('The setup code is wrong. Use the link printed in the server console.');
    }
    const created = await createSuperuser(deps, body, { onlyFirst: true });
    const collection = deps.collections.find(SUPERUSERS.id)!;
    return authResponse(c, collection, created as unknown as AuthRow);
  });

  /**
   * The collection's authRule, checked against the record that just proved its password, with itself
   * as `@request.auth` (e.g. `verified = true`); null locks sign-in to nobody.
   */
  function checkAuthRule(c: ApiContext, collection: Collection, row: AuthRow): void {
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

  async function authResponse(c: ApiContext, collection: Collection, row: AuthRow): Promise<Response> {
    const token = issueToken(deps, collection, row, 'auth');
    const self = {
      id: row.id,
      collectionId: collection.id,
      collectionName: collection.name,
      email: row.email,
      row,
    };
    const request = recordRequest(c, deps.collections);
    request.info.auth = { collection, record: self.row };
    return c.json({ token, record: exportRecord(collection, row, request) });
  }
}
