import type BetterSqlite3 from 'better-sqlite3';
import { buildCollection } from '../../collections/collection.build';
import type { Schema } from '../../collections/collection.model';
import { createCollectionTable } from '../../collections/collections.schema';
import { readCollections, writeCollection } from '../../collections/collections.store';

const OWNER =
  "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";

/**
 * `_externalAuths`, PocketBase's system collection of identities linked to accounts (an OAuth2
 * provider's user id, an Ethereum address): owners list and remove their own through the records
 * API. And `users` no longer needs an email: an account made by a wallet sign-in has none.
 */
export function up(sql: BetterSqlite3.Database): void {
  const none: Schema = { find: () => undefined, all: () => [] };
  const external = buildCollection(
    {
      id: 'pbc_2281828961',
      name: '_externalAuths',
      type: 'base',
      listRule: OWNER,
      viewRule: OWNER,
      createRule: null,
      updateRule: null,
      deleteRule: OWNER,
      fields: [
        { name: 'collectionRef', type: 'text', required: true, max: 255 },
        { name: 'recordRef', type: 'text', required: true, max: 255 },
        { name: 'provider', type: 'text', required: true, max: 255 },
        { name: 'providerId', type: 'text', required: true, max: 255 },
        { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
        { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
      ],
      indexes: [
        'CREATE UNIQUE INDEX idx_externalAuths_provider ON _externalAuths (collectionRef, provider, providerId)',
        'CREATE INDEX idx_externalAuths_record ON _externalAuths (collectionRef, recordRef)',
      ],
    },
    undefined,
    none,
  );
  external.system = true;
  for (const f of external.fields) f.system = true;
  createCollectionTable(sql, external);
  writeCollection(sql, external);

  const users = readCollections(sql).find((c) => c.name === 'users');
  const email = users?.fields.find((f) => f.name === 'email');
  if (users && email && email.type === 'email') {
    email.required = false;
    writeCollection(sql, users);
  }
}
