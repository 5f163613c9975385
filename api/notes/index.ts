import { ApiError, fieldError } from '../core/errors';
import type { ApiApp } from '../core/http';
import type { Deps } from '../main';
import { isEmail } from '../records/record.values';
import { deleteWithCascade } from '../records/records.service';
import { findRow } from '../records/records.store';
import { findRecipient, KEYS_TABLE, orphanedKeyIds } from './notes.store';

/** The `users` collection's id (PocketBase's): notes belong to its records, whatever it is named. */
export const USERS_COLLECTION_ID = '_pb_users_auth_';

/**
 * The server side of end-to-end encrypted notes. The notes themselves are plain collections
 * (`notes_keys`, `notes`, `notes_shares`, `notes_versions`, made by this capability's migration)
 * read and written through the records API under their rules; the server only ever holds what
 * web/lib/crypto sealed (docs/notes-crypto.md). This adds what rules cannot express:
 *
 * `GET /api/hearth/notes/recipient?email=<address>` → `{id, boxPublicKey, verified}` of the user
 * with that email, when they have set up notes (a `notes_keys` row); else 404 with the same body
 * whether there is no such user or a user without keys. Signed-in users only (401 for guests, 403
 * for other auth collections), rate limited per client address (api/ratelimit/settings.defs.ts).
 * The trade-off: a signed-in user who knows an address learns whether its owner set up notes (which
 * sharing needs) and whether it is verified, but nothing about addresses whose owners did not, and
 * only by guessing exact addresses at the rate limit — no prefix search, no listing.
 *
 * And the cleanup a relation's cascade would do: a `notes_keys` row is keyed by its user's id, not
 * related to it (see the migration for why), so it is deleted here when the user is.
 */
export function register(app: ApiApp, deps: Deps): void {
  forgetOrphanedKeys(deps);
  deps.bus.subscribe('RecordDelete', ({ collectionId, row }) => {
    if (collectionId === USERS_COLLECTION_ID) forgetKeys(deps, String(row['id']));
  });

  app.get('/api/hearth/notes/recipient', (c) => {
    const auth = c.get('auth');
    if (!auth) throw ApiError.unauthorized('The request requires valid record authorization token.');
    if (auth.collectionId !== USERS_COLLECTION_ID) {
      throw ApiError.forbidden('The authorized record is not allowed to perform this action.');
    }
    const email = c.req.query('email') ?? '';
    if (!isEmail(email)) {
      throw ApiError.badRequest(
        'Invalid email.',
        fieldError('email', 'validation_is_email', 'Must be a valid email address.'),
      );
    }
    const users = deps.collections.find(USERS_COLLECTION_ID);
    const found = users && findRecipient(deps.db, users.name, email);
    if (!found) throw ApiError.notFound();
    return c.json(found);
  });
}

/** Deletes a user's keys row through the records service, so realtime subscribers hear of it. */
function forgetKeys(deps: Deps, id: string): void {
  const keys = deps.collections.find(KEYS_TABLE);
  if (!keys) return;
  deps.db.transaction(() => {
    const row = findRow(deps.db, keys, id);
    if (row) deleteWithCascade(deps, keys, row, new Set());
  });
}

/**
 * Deletion after the user's commit leaves a window: a crash there would leave the row, and a new
 * account created with the same id (clients may choose ids) would inherit it. Closed at start.
 */
function forgetOrphanedKeys(deps: Deps): void {
  const users = deps.collections.find(USERS_COLLECTION_ID);
  if (!users || !deps.collections.find(KEYS_TABLE) || deps.db.sql.readonly) return;
  for (const id of orphanedKeyIds(deps.db, users.name)) forgetKeys(deps, id);
}
