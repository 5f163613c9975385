import type { Collection } from '../collections/collection.model';
import { ApiError, fieldError } from '../core/errors';
import { SUPERUSERS, readJsonBody, requestHeader, type ApiApp } from '../core/http';
import type { Deps } from '../main';
import { findRow, updateRow } from '../records/records.store';
import { registerAccounts } from './accounts';
import { registerOAuth2 } from './oauth2';
import { authCollection, authResponse, checkAuthRule } from './auth.http';
import { hashPassword, needsRehash } from './password';
import { authenticateToken, checkRecordPassword, type AuthRow } from './record-tokens';
import { registerSiwe } from './siwe';
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
          refreshable: found.claims.refreshable === true,
        });
      }
    }
    await next();
  });

  app.post('/api/collections/:collection/auth-with-password', async (c) => {
    const collection = authCollection(deps, c);
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
    checkAuthRule(deps, c, collection, row);
    if (needsRehash(row.password)) await rehash(deps, collection, row, password as string);
    return authResponse(deps, c, collection, row);
  });

  app.post('/api/collections/:collection/auth-refresh', async (c) => {
    const collection = authCollection(deps, c);
    const auth = c.get('auth');
    if (!auth) throw ApiError.unauthorized('The request requires valid record authorization token.');
    if (auth.collectionId !== collection.id) {
      throw ApiError.forbidden('The authorized record is not allowed to perform this action.');
    }
    if (!auth.refreshable) throw ApiError.forbidden('The current auth token is not refreshable.');
    checkAuthRule(deps, c, collection, auth.row as AuthRow);
    return authResponse(deps, c, collection, auth.row as AuthRow);
  });

  registerAccounts(app, deps);
  registerOAuth2(app, deps);
  registerSiwe(app, deps);

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
    return authResponse(deps, c, collection, created as unknown as AuthRow);
  });
}

/**
 * Replaces a hash from elsewhere (PocketBase's bcrypt) with argon2id once its password proved right.
 * The tokenKey stays: the password did not change, so no session ends.
 */
async function rehash(deps: Deps, collection: Collection, row: AuthRow, password: string): Promise<void> {
  const hash = await hashPassword(password);
  deps.db.transaction(() => {
    if (findRow(deps.db, collection, row.id)?.['password'] === row.password) {
      updateRow(deps.db, collection, row.id, { password: hash });
    }
  });
}
