import type BetterSqlite3 from 'better-sqlite3';
import { SUPERUSERS } from '../../core/http';
import { buildCollection, systemIndexes } from '../collection.build';
import { PASSWORD_MIN } from '../../auth/superusers';
import type { Collection, Schema } from '../collection.model';
import { createCollectionTable } from '../collections.schema';
import { COLLECTIONS_TABLE_SQL, writeCollection } from '../collections.store';

const autodate = (name: 'created' | 'updated'): Record<string, unknown> => ({
  name,
  type: 'autodate',
  onCreate: true,
  onUpdate: name === 'updated',
});

/**
 * `_collections`, with the two collections every install starts with, as PocketBase has them:
 * `_superusers` (its table exists since the auth migration and already has these columns) and
 * `users` (anyone may sign up; a user sees and changes only their own record).
 */
export function up(sql: BetterSqlite3.Database): void {
  sql.exec(COLLECTIONS_TABLE_SQL);
  const none: Schema = { find: () => undefined, all: () => [] };

  const superusers: Collection = {
    ...buildCollection(
      {
        id: SUPERUSERS.id,
        name: SUPERUSERS.name,
        type: 'auth',
        fields: [autodate('created'), autodate('updated')],
      },
      undefined,
      none,
    ),
    system: true,
  };
  for (const f of superusers.fields) {
    f.system = true;
    // Hearth asks more of superuser passwords than PocketBase's 8 (see PASSWORD_MIN).
    if (f.type === 'password') f.min = PASSWORD_MIN;
  }
  superusers.auth!.authToken.duration = 86400;
  superusers.indexes = systemIndexes(superusers);
  sql.exec('DROP INDEX idx_superusers_email; DROP INDEX idx_superusers_tokenKey;');
  for (const index of superusers.indexes) sql.exec(index);
  writeCollection(sql, superusers);

  const users = buildCollection(
    {
      id: '_pb_users_auth_',
      name: 'users',
      type: 'auth',
      listRule: 'id = @request.auth.id',
      viewRule: 'id = @request.auth.id',
      createRule: '',
      updateRule: 'id = @request.auth.id',
      deleteRule: 'id = @request.auth.id',
      fields: [
        { name: 'name', type: 'text', max: 255 },
        {
          name: 'avatar',
          type: 'file',
          maxSelect: 1,
          mimeTypes: ['image/jpeg', 'image/png', 'image/svg+xml', 'image/gif', 'image/webp'],
        },
        autodate('created'),
        autodate('updated'),
      ],
    },
    undefined,
    none,
  );
  users.indexes = systemIndexes(users);
  createCollectionTable(sql, users);
  writeCollection(sql, users);
}
