import type BetterSqlite3 from 'better-sqlite3';
import { buildCollection } from '../../collections/collection.build';
import type { Schema } from '../../collections/collection.model';
import { createCollectionTable } from '../../collections/collections.schema';
import { writeCollection } from '../../collections/collections.store';

/**
 * `_otps`, PocketBase's system collection of one-time passwords sent by mail (request-otp): which
 * record of which collection, the code's hash and the address it went to. Superusers only.
 */
export function up(sql: BetterSqlite3.Database): void {
  const none: Schema = { find: () => undefined, all: () => [] };
  const otps = buildCollection(
    {
      id: 'pbc_1638494021',
      name: '_otps',
      type: 'base',
      fields: [
        { name: 'collectionRef', type: 'text', required: true, max: 255 },
        { name: 'recordRef', type: 'text', required: true, max: 255 },
        { name: 'password', type: 'password', required: true, hidden: true, min: 1, max: 71 },
        { name: 'sentTo', type: 'text', hidden: true, max: 255 },
        { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
        { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
      ],
      indexes: ['CREATE INDEX idx_otps_record ON _otps (collectionRef, recordRef)'],
    },
    undefined,
    none,
  );
  otps.system = true;
  for (const f of otps.fields) f.system = true;
  createCollectionTable(sql, otps);
  writeCollection(sql, otps);
}
