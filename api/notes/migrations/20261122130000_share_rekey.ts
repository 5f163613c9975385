import type BetterSqlite3 from 'better-sqlite3';
import { buildCollection } from '../../collections/collection.build';
import type { Schema } from '../../collections/collection.model';
import { syncCollectionTable } from '../../collections/collections.schema';
import { readCollections, writeCollection } from '../../collections/collections.store';

/**
 * What revoking a share needs (docs/notes-crypto.md, Sharing): the note is re-keyed, so its owner
 * wraps the new note key again for every remaining recipient. Each share therefore keeps the
 * recipient's box public key as the owner looked it up (`recipientKey`), and the owner may replace
 * a share's wrapped key — and its `canEdit` and `label` — but never what the share is of or for.
 * `label` is the recipient's email sealed under the owner's master key, so the app can say whom a
 * note is shared with; the server and the recipient see ciphertext.
 */
const USER = `@request.auth.collectionId = '_pb_users_auth_'`;
const ME = '@request.auth.id';
const BASE64URL = '^[A-Za-z0-9_-]+$';

export function up(sql: BetterSqlite3.Database): void {
  const existing = readCollections(sql);
  const schema: Schema = {
    find: (idOrName) =>
      existing.find((c) => c.id === idOrName || c.name.toLowerCase() === idOrName.toLowerCase()),
    all: () => existing,
  };
  const shares = schema.find('notes_shares');
  if (!shares) throw new Error('The notes_shares collection is missing: its first migration did not run.');
  const next = buildCollection(
    {
      ...shares,
      updateRule: `${USER} && note.owner = ${ME} && @request.body.note:changed = false && @request.body.recipient:changed = false && @request.body.recipientKey:changed = false`,
      fields: [
        ...shares.fields,
        { name: 'recipientKey', type: 'text', max: 1024, pattern: BASE64URL },
        // A sealed label of up to 1 KiB is 1 066 bytes, 1 422 characters.
        { name: 'label', type: 'text', max: 2048, pattern: BASE64URL },
      ],
    },
    shares,
    schema,
  );
  for (const f of next.fields) f.system = true;
  syncCollectionTable(sql, shares, next);
  writeCollection(sql, next);
}
