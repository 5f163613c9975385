import { ApiError, fieldError } from '../core/errors';
import {
  SUPERUSERS,
  readJsonBody,
  requestHeader,
  requireSuperuser,
  type ApiApp,
  type ApiContext,
} from '../core/http';
import type { Deps } from '../main';
import {
  authenticateSuperuserToken,
  checkSuperuserPassword,
  createSuperuser,
  issueSuperuserToken,
  PASSWORD_MIN,
  superuserCount,
  toSuperuserRecord,
  warmUpSuperuserAuth,
} from './superusers';
import { findSuperuserById, type SuperuserRow } from './superusers.store';

/**
 * Superuser auth on PocketBase's paths under /api/collections/_superusers/ (also reachable by the
 * collection's fixed id), and Hearth's first-run setup under /api/hearth/setup.
 */
export function register(app: ApiApp, deps: Deps): void {
  warmUpSuperuserAuth();
  app.use('*', async (c, next) => {
    const header = requestHeader(c, 'authorization');
    if (header) {
      // PocketBase sends the raw token; "Bearer " is accepted too, as PocketBase does.
      const row = await authenticateSuperuserToken(deps, header.replace(/^Bearer\s+/i, ''));
      if (row)
        c.set('auth', {
          id: row.id,
          collectionId: SUPERUSERS.id,
          collectionName: SUPERUSERS.name,
          email: row.email,
        });
    }
    await next();
  });

  const base = '/api/collections/:collection{_superusers|pbc_3142635823}';

  app.post(`${base}/auth-with-password`, async (c) => {
    const body = await readJsonBody(c);
    const { identity, password } = body;
    const data = {
      ...(typeof identity !== 'string' || identity === ''
        ? fieldError('identity', 'validation_required', 'Cannot be blank')
        : {}),
      ...(typeof password !== 'string' || password === ''
        ? fieldError('password', 'validation_required', 'Cannot be blank')
        : {}),
    };
    if (Object.keys(data).length > 0) throw ApiError.badRequest('Failed to authenticate.', data);
    const row = await checkSuperuserPassword(deps, identity as string, password as string);
    if (!row) throw ApiError.badRequest('Failed to authenticate.');
    return authResponse(c, row);
  });

  app.post(`${base}/auth-refresh`, async (c) => {
    const row = findSuperuserById(deps.db, requireSuperuser(c).id);
    if (!row) throw ApiError.unauthorized();
    return authResponse(c, row);
  });

  app.post(`${base}/records`, async (c) => {
    requireSuperuser(c);
    const body = await readJsonBody(c);
    const row = await createSuperuser(deps, body);
    return c.json(toSuperuserRecord(row));
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
    const row = await createSuperuser(deps, body, { onlyFirst: true });
    return authResponse(c, row);
  });

  async function authResponse(c: ApiContext, row: SuperuserRow): Promise<Response> {
    const token = await issueSuperuserToken(deps, row, deps.settings.get('auth.superuserTokenDuration'));
    return c.json({ token, record: toSuperuserRecord(row) });
  }
}
