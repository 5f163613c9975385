import type BetterSqlite3 from 'better-sqlite3';
import { buildCollection, defaultCollectionId } from '../../collections/collection.build';
import type { Collection, Schema } from '../../collections/collection.model';
import { createCollectionTable } from '../../collections/collections.schema';
import { readCollections, writeCollection } from '../../collections/collections.store';

/**
 * The collections of end-to-end encrypted notes (docs/notes-crypto.md): `notes_keys` (one row of
 * wrapped keys per user), `notes`, `notes_shares` and `notes_versions`. The server stores only what
 * web/lib/crypto makes — base64url ciphertext, wrapped keys, salts, parameters, public keys — so
 * every such text field accepts base64url characters only: a client bug that would upload plaintext
 * JSON is refused instead of stored.
 *
 * `notes_keys` rows are keyed by the user's own record id instead of a relation to `users`: in
 * PocketBase a client's `?filter=` may follow any relation (and back-relation) it can name, whatever
 * the rules of the collection it leads into (Hearth's filters no longer do: api/records/
 * record.resolver.ts; this stays as a second wall), so with a `user` relation anyone who could list a
 * record related to a user (a share they made for that user, say) could read that user's wrapped
 * master key and passphrase parameters one character at a time
 * (`recipient.notes_keys_via_user.passphraseWrap ~ "A%"`) and attack the passphrase offline. With no
 * relation field, no path leads there. The row goes when its user does (api/notes/index.ts).
 *
 * The rules are data, as any collection's; this migration is their first version (a later change is
 * a new migration). Every rule starts with USER: a guest's `@request.auth.id` is empty, and an empty
 * value equals the NULL of a note without shares in `notes_shares_via_note.recipient ?= …`, so
 * without it a guest would read every unshared note. Checking the collection (by id, which survives
 * a rename) rather than `!= ''` also keeps out records of another auth collection that were given a
 * user's id.
 */

const USERS = '_pb_users_auth_';
const USER = `@request.auth.collectionId = '${USERS}'`;
const ME = '@request.auth.id';

/** A base64url text (RFC 4648 §5, no padding), as web/lib/crypto encodes every binary value. */
const BASE64URL = '^[A-Za-z0-9_-]+$';
/** A wrapped or sealed key is 99 or 142 characters today; room for a later format version. */
const KEY_MAX = 1024;
/**
 * A note's sealed content: 4 Mi characters hold about 3 MiB of note JSON (base64 adds a third). A
 * 1 MB note is about 1.4 Mi characters. Larger things belong in attachments (files, not base64).
 */
const CIPHERTEXT_MAX = 4 * 1024 * 1024;
/** One attachment (sealed bytes, 42 more than the file) and how many a note may have. */
const ATTACHMENT_MAX = 100 * 1024 * 1024;
const ATTACHMENTS_PER_NOTE = 100;
/** PocketBase's default id for a base collection named `notes`, which the others relate to. */
const NOTES_ID = defaultCollectionId('base', 'notes');

const text = (name: string, max: number, options: Record<string, unknown> = {}) => ({
  name,
  type: 'text',
  max,
  pattern: BASE64URL,
  ...options,
});
const relation = (name: string, collectionId: string, options: Record<string, unknown> = {}) => ({
  name,
  type: 'relation',
  collectionId,
  maxSelect: 1,
  required: true,
  ...options,
});
const autodate = (name: 'created' | 'updated') => ({
  name,
  type: 'autodate',
  onCreate: true,
  onUpdate: name === 'updated',
});

/** Who reads a note: its owner, and every user it is shared with (`prefix` leads from another row to it). */
const readers = (prefix: string) =>
  `${USER} && (${prefix}owner = ${ME} || ${prefix}notes_shares_via_note.recipient ?= ${ME})`;
/**
 * Who may change a note: its owner, and users it is shared with `canEdit`. Both `?=` conditions
 * walk the same back-relation join, so they must hold on the same share row.
 */
const editors = (prefix: string) =>
  `${USER} && (${prefix}owner = ${ME} || (${prefix}notes_shares_via_note.recipient ?= ${ME} && ${prefix}notes_shares_via_note.canEdit ?= true))`;

const version = {
  name: 'version',
  type: 'number',
  required: true,
  onlyInt: true,
  min: 1,
  max: Number.MAX_SAFE_INTEGER,
};

/** One row per user, with the user's id (see above): every way to unlock, and the box key pair. */
const keys = {
  name: 'notes_keys',
  type: 'base',
  // The create rule is checked against the row as stored (api/records/records.service.ts), and a
  // record's id never changes.
  listRule: `${USER} && id = ${ME}`,
  viewRule: `${USER} && id = ${ME}`,
  createRule: `${USER} && id = ${ME}`,
  updateRule: `${USER} && id = ${ME}`,
  deleteRule: `${USER} && id = ${ME}`,
  fields: [
    text('passphraseWrap', KEY_MAX),
    { name: 'passphraseParams', type: 'json', maxSize: 2048 },
    text('walletWrap', KEY_MAX),
    { name: 'walletAddress', type: 'text', max: 42, pattern: '^0x[0-9a-fA-F]{40}$' },
    text('walletSalt', KEY_MAX),
    text('recoveryWrap', KEY_MAX),
    text('boxPublicKey', KEY_MAX, { required: true }),
    text('boxSecretWrap', KEY_MAX, { required: true }),
    { name: 'idleLockMinutes', type: 'number', onlyInt: true, min: 0, max: 7 * 24 * 60 },
    autodate('created'),
    autodate('updated'),
  ],
};

const notes = {
  id: NOTES_ID,
  name: 'notes',
  type: 'base',
  listRule: readers(''),
  viewRule: readers(''),
  createRule: `${USER} && owner = ${ME}`,
  // Optimistic concurrency: every save names a version above the stored one, so of two saves made
  // from the same version the second is refused (404, as any update the rule refuses). Editors may
  // not replace the owner's wrapped note key, and nobody moves a note to another owner.
  updateRule: `${editors('')} && (owner = ${ME} || @request.body.keyWrap:changed = false) && @request.body.owner:changed = false && @request.body.version > version`,
  deleteRule: `${USER} && owner = ${ME}`,
  fields: [
    relation('owner', USERS, { cascadeDelete: true }),
    text('keyWrap', KEY_MAX, { required: true }),
    text('ciphertext', CIPHERTEXT_MAX, { required: true }),
    version,
    {
      name: 'attachments',
      type: 'file',
      maxSelect: ATTACHMENTS_PER_NOTE,
      maxSize: ATTACHMENT_MAX,
      protected: true,
    },
    autodate('created'),
    autodate('updated'),
  ],
  indexes: ['CREATE INDEX idx_notes_owner ON notes (owner)'],
};

const shares = {
  name: 'notes_shares',
  type: 'base',
  listRule: `${USER} && (note.owner = ${ME} || recipient = ${ME})`,
  viewRule: `${USER} && (note.owner = ${ME} || recipient = ${ME})`,
  createRule: `${USER} && note.owner = ${ME} && recipient != ${ME}`,
  updateRule: null,
  // The owner revokes, the recipient leaves.
  deleteRule: `${USER} && (note.owner = ${ME} || recipient = ${ME})`,
  fields: [
    relation('note', NOTES_ID, { cascadeDelete: true }),
    relation('recipient', USERS, { cascadeDelete: true }),
    text('keyWrap', KEY_MAX, { required: true }),
    { name: 'canEdit', type: 'bool' },
    autodate('created'),
    autodate('updated'),
  ],
  indexes: [
    'CREATE UNIQUE INDEX idx_notes_shares_note_recipient ON notes_shares (note, recipient)',
    'CREATE INDEX idx_notes_shares_recipient ON notes_shares (recipient)',
  ],
};

const versions = {
  name: 'notes_versions',
  type: 'base',
  listRule: readers('note.'),
  viewRule: readers('note.'),
  createRule: editors('note.'),
  updateRule: null,
  deleteRule: `${USER} && note.owner = ${ME}`,
  fields: [
    relation('note', NOTES_ID, { cascadeDelete: true }),
    version,
    text('ciphertext', CIPHERTEXT_MAX, { required: true }),
    // The note key as wrapped when this version was made: revoking a share re-keys the note.
    text('keyWrap', KEY_MAX, { required: true }),
    autodate('created'),
  ],
  // Not unique: the save that lost a race is kept as a version with the same number.
  indexes: ['CREATE INDEX idx_notes_versions_note ON notes_versions (note, version)'],
};

export function up(sql: BetterSqlite3.Database): void {
  const existing = readCollections(sql);
  const schema: Schema = {
    find: (idOrName) =>
      existing.find((c) => c.id === idOrName || c.name.toLowerCase() === idOrName.toLowerCase()),
    all: () => existing,
  };
  for (const input of [keys, notes, shares, versions]) {
    if (schema.find(input.name)) {
      throw new Error(
        `A collection named ${input.name} already exists, and the notes app needs the name: rename that collection with the previous Hearth version, then start this one again.`,
      );
    }
    save(sql, buildCollection(input, undefined, schema));
  }
}

/**
 * As a system collection: the app and /api/hearth/notes/recipient rely on these names and fields,
 * so the console may change rules and add fields but not rename, delete or drop what is here.
 */
function save(sql: BetterSqlite3.Database, collection: Collection): void {
  collection.system = true;
  for (const f of collection.fields) f.system = true;
  createCollectionTable(sql, collection);
  writeCollection(sql, collection);
}
