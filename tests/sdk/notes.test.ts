import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type PocketBase from 'pocketbase';
import type { RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { run } from '../../api/cli/main';
import { testHearth } from '../../api/testing/hearth';
import { newRecordId } from '../../api/lib/id';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import {
  fromBase64Url,
  newBoxKeyPair,
  newMasterKey,
  newNoteKey,
  openAttachment,
  openNote,
  sealAttachment,
  sealNote,
  toBase64Url,
  unwrapBoxKeyPair,
  unwrapKey,
  unwrapSharedNoteKey,
  wrapKey,
  wrapNoteKeyFor,
} from '../../web/lib/crypto';
import { failure, fieldCode, PASSWORD, startSdkServer, unique, type SdkServer } from './server';

// End-to-end encrypted notes (issue 7), the server side: the notes_* collections and their rules,
// and GET /api/hearth/notes/recipient, driven through the official SDK by different users against a
// real server. What the users store is made by web/lib/crypto, so these tests also show that its
// formats fit the fields and that a shared note opens for its recipient.

interface User {
  record: RecordModel;
  client: PocketBase;
  email: string;
  /** Present once the user set up notes (a notes_keys row). */
  master?: Uint8Array;
  boxPublicKey?: string;
}

interface Note {
  id: string;
  key: Uint8Array;
}

let s: SdkServer;
let alice: User; // owns the notes
let bob: User; // a note is shared with him to read
let carol: User; // … and with her to edit
let dave: User; // a user without notes keys, and no shares

async function newUser(): Promise<User> {
  const email = `${unique('n').toLowerCase()}@example.com`;
  const anon = s.newClient();
  const record = await anon
    .collection('users')
    .create({ email, password: PASSWORD, passwordConfirm: PASSWORD });
  const auth = await anon.collection('users').authWithPassword(email, PASSWORD);
  return { record, client: s.newClient(auth.token), email };
}

/** What the app stores on first use: a master key wrapped by a recovery key, and a box key pair. */
async function setUpKeys(user: User): Promise<RecordModel> {
  const master = newMasterKey();
  const box = newBoxKeyPair();
  const saved = await user.client.collection('notes_keys').create({
    id: user.record.id,
    recoveryWrap: wrapKey(master, newMasterKey(), 'master'),
    boxPublicKey: toBase64Url(box.publicKey),
    boxSecretWrap: wrapKey(box.secretKey, master, 'box-secret'),
    idleLockMinutes: 15,
  });
  user.master = master;
  user.boxPublicKey = toBase64Url(box.publicKey);
  return saved;
}

/** A note sealed by its owner, as the app makes it: the id is chosen first, since the content is bound to it. */
async function newNote(owner: User, text: string): Promise<Note> {
  const id = newRecordId();
  const key = newNoteKey();
  await owner.client.collection('notes').create({
    id,
    owner: owner.record.id,
    keyWrap: wrapKey(key, owner.master!, 'note'),
    ciphertext: sealNote({ noteId: id, version: 1, content: { text } }, key),
    version: 1,
  });
  return { id, key };
}

/** The recipient as GET /api/hearth/notes/recipient finds them. */
function lookup(pb: PocketBase, email: string): Promise<{ id: string; boxPublicKey: string }> {
  return pb.send('/api/hearth/notes/recipient', { query: { email } });
}

/**
 * Shares a note: seals the note key for the recipient's box public key. The app finds that key with
 * `lookup`; here it comes from the test's own record of it, so the lookups stay under their rate limit.
 */
function share(owner: User, note: Note, to: User, canEdit: boolean): Promise<RecordModel> {
  return owner.client.collection('notes_shares').create({
    note: note.id,
    recipient: to.record.id,
    keyWrap: wrapNoteKeyFor(note.key, fromBase64Url(to.boxPublicKey!)),
    recipientKey: to.boxPublicKey,
    canEdit,
  });
}

/** The body of a save at `version`, sealed with the note key. */
function save(note: Note, version: number, text: string): Record<string, unknown> {
  return { version, ciphertext: sealNote({ noteId: note.id, version, content: { text } }, note.key) };
}

async function status(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

async function visibleNotes(user: User | null): Promise<string[]> {
  const pb = user?.client ?? s.newClient();
  return (await pb.collection('notes').getFullList({ sort: 'created' })).map((n) => n.id);
}

beforeAll(async () => {
  s = await startSdkServer();
  [alice, bob, carol, dave] = await Promise.all([newUser(), newUser(), newUser(), newUser()]);
  for (const u of [alice, bob, carol]) await setUpKeys(u);
});
afterAll(async () => {
  await s?.close();
});

describe('notes_keys: each user has one row, theirs alone', () => {
  test('a user lists and views only their own row; guests see none', async () => {
    for (const u of [alice, bob, carol]) {
      expect((await u.client.collection('notes_keys').getFullList()).map((k) => k.id)).toEqual([u.record.id]);
    }
    expect(await dave.client.collection('notes_keys').getFullList()).toEqual([]);
    expect(await s.newClient().collection('notes_keys').getFullList()).toEqual([]);
    expect(await status(bob.client.collection('notes_keys').getOne(alice.record.id))).toBe(404);
    expect(await status(s.newClient().collection('notes_keys').getOne(alice.record.id))).toBe(404);
  });

  const othersRow: [string, number, (pb: PocketBase, id: string) => Promise<unknown>][] = [
    ['view', 404, (pb, id) => pb.collection('notes_keys').getOne(id)],
    ['update', 404, (pb, id) => pb.collection('notes_keys').update(id, { idleLockMinutes: 1 })],
    ['delete', 404, (pb, id) => pb.collection('notes_keys').delete(id)],
    [
      'replace',
      400,
      (pb, id) => pb.collection('notes_keys').create({ id, boxPublicKey: 'AA', boxSecretWrap: 'AA' }),
    ],
  ];
  test.each(othersRow)(
    'another user (or a guest) cannot %s a row → %i, and it stays as it was',
    async (_, code, act) => {
      const before = await s.admin.collection('notes_keys').getOne(alice.record.id);
      expect(await status(act(bob.client, alice.record.id))).toBe(code);
      expect(await status(act(s.newClient(), alice.record.id))).toBe(code);
      expect(await s.admin.collection('notes_keys').getOne(alice.record.id)).toEqual(before);
    },
  );

  test('a user changes their own row, and has only one', async () => {
    const updated = await alice.client
      .collection('notes_keys')
      .update(alice.record.id, { idleLockMinutes: 5 });
    expect(updated['idleLockMinutes']).toBe(5);
    const err = await failure(
      alice.client
        .collection('notes_keys')
        .create({ id: alice.record.id, boxPublicKey: 'AA', boxSecretWrap: 'AA' }),
    );
    expect(err.status).toBe(400);
    // A row with another id, even a free one, is not this user's.
    for (const id of [undefined, dave.record.id]) {
      expect(
        await status(
          alice.client.collection('notes_keys').create({ id, boxPublicKey: 'AA', boxSecretWrap: 'AA' }),
        ),
      ).toBe(400);
    }
    expect(await s.admin.collection('notes_keys').getFullList()).toHaveLength(3);
  });

  test('the stored values open with the master key: what the app reads back is what it wrote', async () => {
    const row = await bob.client.collection('notes_keys').getOne(bob.record.id);
    const pair = unwrapBoxKeyPair(
      String(row['boxSecretWrap']),
      fromBase64Url(String(row['boxPublicKey'])),
      bob.master!,
    );
    expect(toBase64Url(pair.publicKey)).toBe(row['boxPublicKey']);
  });

  test('key and ciphertext fields take base64url only: plaintext is refused, not stored', async () => {
    const err = await failure(
      alice.client.collection('notes_keys').update(alice.record.id, { walletWrap: '{"master":"plain"}' }),
    );
    expect(fieldCode(err, 'walletWrap')).toBe('validation_invalid_format');
    const note = await newNote(alice, 'x');
    const plain = await failure(
      alice.client.collection('notes').update(note.id, { version: 2, ciphertext: 'my secret note' }),
    );
    expect(fieldCode(plain, 'ciphertext')).toBe('validation_invalid_format');
  });

  test('regression: no relation leads from a user to their wrapped master key', async () => {
    // With a `user` relation on notes_keys, a user who shared a note with Bob could read Bob's
    // passphrase-wrapped master key one character at a time through the share's recipient.
    await alice.client.collection('notes_keys').update(alice.record.id, { passphraseWrap: 'AAAA' });
    const note = await newNote(bob, 'bait');
    const bait = await share(bob, note, alice, false);
    for (const filter of [
      'recipient.notes_keys_via_user.passphraseWrap ~ "A%"',
      'recipient.notes_keys_via_id.passphraseWrap ~ "A%"',
      'note.owner.notes_keys_via_user.passphraseWrap ~ "A%"',
    ]) {
      expect((await failure(bob.client.collection('notes_shares').getList(1, 10, { filter }))).status).toBe(
        400,
      );
    }
    const viaCollection = await failure(
      bob.client.collection('notes_shares').getList(1, 10, {
        filter: '@collection.notes_keys.passphraseWrap ~ "A%"',
      }),
    );
    expect(viaCollection.status).toBe(403);
    await bob.client.collection('notes_shares').delete(bait.id);
  });
});

describe('notes: who sees and changes a note', () => {
  test('invisible to others until shared, visible to the recipient after, invisible again after a revoke', async () => {
    const a = await newNote(alice, 'a');
    const b = await newNote(alice, 'b');
    const sees = async (u: User | null, id: string) => ({
      list: (await visibleNotes(u)).includes(id),
      view: (await status((u?.client ?? s.newClient()).collection('notes').getOne(id))) === 200,
    });
    for (const u of [bob, carol, dave, null]) {
      expect(await sees(u, a.id)).toEqual({ list: false, view: false });
    }
    expect(await sees(alice, a.id)).toEqual({ list: true, view: true });

    // As the app shares: find Bob by email, seal the note key for the public key found.
    const found = await lookup(alice.client, bob.email);
    const shared = await alice.client.collection('notes_shares').create({
      note: a.id,
      recipient: found.id,
      keyWrap: wrapNoteKeyFor(a.key, fromBase64Url(found.boxPublicKey)),
    });
    expect(await sees(bob, a.id)).toEqual({ list: true, view: true });
    // A share of note a reveals nothing else: not note b, and not a to anyone else.
    expect(await sees(bob, b.id)).toEqual({ list: false, view: false });
    for (const u of [carol, dave, null]) expect(await sees(u, a.id)).toEqual({ list: false, view: false });

    // The recipient opens the note with the key sealed for them.
    const row = await bob.client.collection('notes').getOne(a.id);
    const keys = await bob.client.collection('notes_keys').getOne(bob.record.id);
    const mine = unwrapBoxKeyPair(
      String(keys['boxSecretWrap']),
      fromBase64Url(String(keys['boxPublicKey'])),
      bob.master!,
    );
    const noteKey = unwrapSharedNoteKey(String(shared['keyWrap']), mine.secretKey);
    expect(
      openNote(String(row['ciphertext']), { noteId: a.id, version: row['version'] as number }, noteKey),
    ).toEqual({
      text: 'a',
    });

    await alice.client.collection('notes_shares').delete(shared.id);
    expect(await sees(bob, a.id)).toEqual({ list: false, view: false });
  });

  test('a recipient without canEdit cannot save; with canEdit can; others cannot', async () => {
    const note = await newNote(alice, 'v1');
    await share(alice, note, bob, false);
    await share(alice, note, carol, true);
    const cases: [User, number][] = [
      [bob, 404],
      [dave, 404],
      [carol, 200],
      [alice, 200],
    ];
    let version = 1;
    for (const [user, code] of cases) {
      const before = await s.admin.collection('notes').getOne(note.id);
      const result = await status(
        user.client.collection('notes').update(note.id, save(note, version + 1, 'edit')),
      );
      expect(result, user.email).toBe(code);
      const after = await s.admin.collection('notes').getOne(note.id);
      if (code === 200) expect(after['version']).toBe(++version);
      else expect(after).toEqual(before);
    }
    // Both shares walk the same back-relation: Bob's share is not made editable by Carol's.
    expect(await status(bob.client.collection('notes').update(note.id, save(note, 9, 'x')))).toBe(404);
  });

  test("an editor cannot replace the owner's wrapped note key, nor anyone the owner", async () => {
    const note = await newNote(alice, 'v1');
    await share(alice, note, carol, true);
    const stolen = wrapKey(note.key, carol.master!, 'note');
    expect(
      await status(
        carol.client.collection('notes').update(note.id, { ...save(note, 2, 'x'), keyWrap: stolen }),
      ),
    ).toBe(404);
    for (const user of [alice, carol]) {
      expect(
        await status(
          user.client.collection('notes').update(note.id, { ...save(note, 2, 'x'), owner: carol.record.id }),
        ),
      ).toBe(404);
    }
    const stored = await s.admin.collection('notes').getOne(note.id);
    expect(stored['owner']).toBe(alice.record.id);
    expect(stored['version']).toBe(1);
    expect(unwrapKey(String(stored['keyWrap']), alice.master!, 'note')).toEqual(note.key);
    // Nobody creates a note in another user's name.
    expect(
      await status(
        carol.client
          .collection('notes')
          .create({ owner: alice.record.id, keyWrap: stolen, ciphertext: 'AA', version: 1 }),
      ),
    ).toBe(400);
  });

  test('of two saves from the same version the second is refused and the stored row is the first', async () => {
    const note = await newNote(alice, 'v1');
    await share(alice, note, carol, true);
    const [first, second] = await Promise.allSettled([
      alice.client.collection('notes').update(note.id, save(note, 2, 'alice')),
      carol.client.collection('notes').update(note.id, save(note, 2, 'carol')),
    ]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    const winner = (first.status === 'fulfilled' ? first : second) as PromiseFulfilledResult<RecordModel>;
    const loser = (first.status === 'rejected' ? first : second) as PromiseRejectedResult;
    expect((loser.reason as { status: number }).status).toBe(404);
    const stored = await s.admin.collection('notes').getOne(note.id);
    expect(stored).toEqual(winner.value);
    expect(openNote(String(stored['ciphertext']), { noteId: note.id, version: 2 }, note.key)).toEqual({
      text: first.status === 'fulfilled' ? 'alice' : 'carol',
    });

    // The same version again, an older one, or none at all: refused, nothing changes.
    for (const body of [
      save(note, 2, 'again'),
      save(note, 1, 'older'),
      { ciphertext: save(note, 3, 'x')['ciphertext'] },
    ]) {
      expect(await status(alice.client.collection('notes').update(note.id, body))).toBe(404);
    }
    expect(await s.admin.collection('notes').getOne(note.id)).toEqual(stored);
  });

  // Review finding: "greater" alone let an editor jump to 2^53−1 and freeze the note for everyone.
  test('a save must raise the version by exactly one; a jump is refused and the note stays usable', async () => {
    const note = await newNote(alice, 'v1');
    await share(alice, note, carol, true);
    for (const jump of [3, 1000, Number.MAX_SAFE_INTEGER]) {
      const refused = await failure(
        carol.client.collection('notes').update(note.id, save(note, jump, 'jump')),
      );
      expect(refused.status).toBe(400);
      expect(refused.message).toBe("A note's version must go up by exactly one per save.");
    }
    expect((await s.admin.collection('notes').getOne(note.id))['version']).toBe(1);
    await alice.client.collection('notes').update(note.id, save(note, 2, 'fine'));
    expect((await s.admin.collection('notes').getOne(note.id))['version']).toBe(2);
  });

  test('only the owner deletes a note', async () => {
    const note = await newNote(alice, 'x');
    await share(alice, note, carol, true);
    for (const user of [carol, dave]) {
      expect(await status(user.client.collection('notes').delete(note.id))).toBe(404);
    }
    await alice.client.collection('notes').delete(note.id);
    expect(await status(s.admin.collection('notes').getOne(note.id))).toBe(404);
  });

  test('a guest sees no note, not even one shared with nobody', async () => {
    await newNote(alice, 'unshared');
    expect(await visibleNotes(null)).toEqual([]);
    expect(await s.newClient().collection('notes_shares').getFullList()).toEqual([]);
    expect(await s.newClient().collection('notes_versions').getFullList()).toEqual([]);
  });
});

describe('notes_shares', () => {
  test("only the owner shares; recipients see their own share only; only the owner updates a share's key, canEdit or label; a recipient may leave", async () => {
    const note = await newNote(alice, 'x');
    const toBob = await share(alice, note, bob, false);
    const toCarol = await share(alice, note, carol, true);
    // A recipient, even an editor, cannot share further, nor share with themselves.
    const reshare = { note: note.id, recipient: dave.record.id, keyWrap: toCarol['keyWrap'] };
    expect(await status(carol.client.collection('notes_shares').create(reshare))).toBe(400);
    expect(
      await status(
        alice.client.collection('notes_shares').create({ ...reshare, recipient: alice.record.id }),
      ),
    ).toBe(400);
    // One share per note and recipient.
    expect(await status(share(alice, note, bob, true))).toBe(400);

    const ids = async (u: User) =>
      (
        await u.client
          .collection('notes_shares')
          .getFullList({ filter: `note = "${note.id}"`, sort: 'created' })
      ).map((r) => r.id);
    expect(await ids(alice)).toEqual([toBob.id, toCarol.id]);
    expect(await ids(bob)).toEqual([toBob.id]);
    expect(await ids(dave)).toEqual([]);
    expect(await status(bob.client.collection('notes_shares').getOne(toCarol.id))).toBe(404);

    // The owner re-wraps the key (after a re-key), changes canEdit or the label; nothing else, nobody else.
    const other = await newNote(alice, 'y');
    const rewrapped = wrapNoteKeyFor(newNoteKey(), fromBase64Url(bob.boxPublicKey!));
    const updated = await alice.client
      .collection('notes_shares')
      .update(toBob.id, { keyWrap: rewrapped, canEdit: true, label: 'c2VhbGVk' });
    expect([updated['keyWrap'], updated['canEdit'], updated['label']]).toEqual([rewrapped, true, 'c2VhbGVk']);
    for (const change of [
      { note: other.id },
      { recipient: dave.record.id },
      { recipientKey: carol.boxPublicKey },
    ]) {
      expect(
        await status(alice.client.collection('notes_shares').update(toBob.id, change)),
        JSON.stringify(change),
      ).toBe(404);
    }
    for (const user of [bob, carol, dave]) {
      expect(await status(user.client.collection('notes_shares').update(toBob.id, { canEdit: false }))).toBe(
        404,
      );
    }
    expect(await status(alice.client.collection('notes_shares').update(toBob.id, { label: '{"x":1}' }))).toBe(
      400,
    );
    expect(await status(dave.client.collection('notes_shares').delete(toBob.id))).toBe(404);
    expect(await status(carol.client.collection('notes_shares').delete(toBob.id))).toBe(404);
    await bob.client.collection('notes_shares').delete(toBob.id);
    expect(await visibleNotes(bob)).not.toContain(note.id);
  });
});

describe('a list sent for a one-value field is judged as the value stored (its last)', () => {
  test('a share cannot be moved onto another note or recipient, nor a note to another owner', async () => {
    const mine = await newNote(alice, 'mine');
    const victims = await newNote(dave.master ? dave : carol, 'not yours');
    const toBob = await share(alice, mine, bob, true);
    // `note:changed` once compared the first element while the last was stored.
    for (const change of [{ note: [mine.id, victims.id] }, { recipient: [bob.record.id, alice.record.id] }]) {
      expect(
        await status(alice.client.collection('notes_shares').update(toBob.id, change)),
        JSON.stringify(change),
      ).toBe(404);
    }
    // A one-value relation keeps its value under `+` (nothing to add to): allowed, and changes nothing.
    await status(alice.client.collection('notes_shares').update(toBob.id, { 'note+': victims.id }));
    const still = await alice.client.collection('notes_shares').getOne(toBob.id);
    expect([still['note'], still['recipient']]).toEqual([mine.id, bob.record.id]);
    expect(await visibleNotes(bob)).not.toContain(victims.id);
    // An editor cannot make themselves the owner with a list; `owner+` keeps the one owner.
    const takeover = { owner: [alice.record.id, bob.record.id], ...save(mine, 2, 'x') };
    expect(await status(bob.client.collection('notes').update(mine.id, takeover))).toBe(404);
    await bob.client.collection('notes').update(mine.id, { 'owner+': bob.record.id, ...save(mine, 2, 'y') });
    expect((await alice.client.collection('notes').getOne(mine.id))['owner']).toBe(alice.record.id);
  });
});

describe('notes_versions', () => {
  test('the readers of the note read its versions; editors add them; the owner deletes them; nobody edits one', async () => {
    const note = await newNote(alice, 'v1');
    const other = await newNote(alice, 'other');
    await share(alice, note, bob, false);
    await share(alice, note, carol, true);
    const version = (n: number) => ({
      note: note.id,
      version: n,
      ciphertext: sealNote({ noteId: note.id, version: n, content: { text: `v${n}` } }, note.key),
      keyWrap: wrapKey(note.key, alice.master!, 'note'),
    });
    const byAlice = await alice.client.collection('notes_versions').create(version(1));
    // A version copies the note's current one: no number past it (an editor could otherwise fill
    // the history with versions the owner's pruning keeps over the genuine ones).
    expect(await status(carol.client.collection('notes_versions').create(version(2)))).toBe(400);
    expect(
      await status(carol.client.collection('notes_versions').create(version(Number.MAX_SAFE_INTEGER))),
    ).toBe(400);
    await carol.client.collection('notes').update(note.id, save(note, 2, 'v2'));
    const byCarol = await carol.client.collection('notes_versions').create(version(2));
    await alice.client.collection('notes_versions').create({ ...version(1), note: other.id });
    for (const user of [bob, dave]) {
      expect(await status(user.client.collection('notes_versions').create(version(2)))).toBe(400);
    }
    expect(
      await status(carol.client.collection('notes_versions').create({ ...version(1), note: other.id })),
    ).toBe(400);

    const listed = async (u: User) =>
      (
        await u.client
          .collection('notes_versions')
          .getFullList({ sort: 'version', filter: `note.id != "${other.id}"` })
      ).map((v) => v.id);
    for (const u of [bob, carol]) expect(await listed(u)).toEqual([byAlice.id, byCarol.id]);
    expect(await listed(dave)).toEqual([]);
    expect(await status(dave.client.collection('notes_versions').getOne(byAlice.id))).toBe(404);
    const read = await bob.client.collection('notes_versions').getOne(byCarol.id);
    expect(openNote(String(read['ciphertext']), { noteId: note.id, version: 2 }, note.key)).toEqual({
      text: 'v2',
    });

    for (const user of [alice, carol]) {
      expect(await status(user.client.collection('notes_versions').update(byAlice.id, { version: 7 }))).toBe(
        403,
      );
    }
    for (const user of [bob, carol, dave]) {
      expect(await status(user.client.collection('notes_versions').delete(byAlice.id))).toBe(404);
    }
    await alice.client.collection('notes_versions').delete(byCarol.id);
    expect(await listed(bob)).toEqual([byAlice.id]);
  });
});

describe('filters and expand cannot reach rows the rules hide', () => {
  test.each([
    ['notes', 'owner != ""'],
    ['notes', 'ciphertext != "" || owner = owner'],
    ['notes', 'notes_shares_via_note.recipient != ""'],
    ['notes_shares', 'note.owner != ""'],
    ['notes_shares', 'recipient != ""'],
    ['notes_versions', 'note.owner != ""'],
    ['notes_keys', 'id != ""'],
  ])('%s ?filter=%s gives a user with no share nothing', async (collection, filter) => {
    const note = await newNote(alice, 'x');
    await share(alice, note, bob, false);
    await alice.client.collection('notes_versions').create({
      note: note.id,
      version: 1,
      ciphertext: sealNote({ noteId: note.id, version: 1, content: {} }, note.key),
      keyWrap: wrapKey(note.key, alice.master!, 'note'),
    });
    expect(await dave.client.collection(collection).getFullList({ filter })).toEqual([]);
  });

  test("expanding a share's note shows it to its recipient, and nothing to anyone else", async () => {
    const note = await newNote(alice, 'x');
    const toBob = await share(alice, note, bob, false);
    const mine = await bob.client.collection('notes_shares').getOne(toBob.id, { expand: 'note,note.owner' });
    expect((mine.expand?.['note'] as RecordModel | undefined)?.id).toBe(note.id);
    // Users see only their own user record, so the owner does not expand (the app shows the email it shared with).
    expect((mine.expand?.['note'] as RecordModel).expand?.['owner']).toBeUndefined();
    expect(await status(dave.client.collection('notes_shares').getOne(toBob.id, { expand: 'note' }))).toBe(
      404,
    );
    expect(await dave.client.collection('notes_shares').getFullList({ expand: 'note' })).toEqual([]);
    // A reader's filter by the owner does not pull in the owner's other notes.
    const hidden = await newNote(alice, 'not shared');
    const byOwner = (
      await bob.client.collection('notes').getFullList({ filter: `owner = "${alice.record.id}"` })
    ).map((n) => n.id);
    expect(byOwner).toContain(note.id);
    expect(byOwner).not.toContain(hidden.id);
  });
  test("a recipient's filter cannot walk from a shared note to the owner's other notes or to other recipients", async () => {
    const note = await newNote(alice, 'shared');
    const hidden = await newNote(alice, 'not shared');
    await share(alice, note, bob, false);
    await share(alice, note, carol, true);
    const matches = async (collection: string, filter: string) =>
      (await bob.client.collection(collection).getFullList({ filter })).map((r) => r.id);
    // Each of these matched the shared note (or Bob's share of it) while relation walks ignored the
    // rules of the collection they led into: an oracle for ids, one character at a time.
    expect(await matches('notes', `owner.notes_via_owner.id ?= "${hidden.id}"`)).toEqual([]);
    expect(await matches('notes', `notes_shares_via_note.recipient ?= "${carol.record.id}"`)).toEqual([]);
    expect(await matches('notes', `id = "${note.id}" && notes_shares_via_note.canEdit ?= true`)).toEqual([]);
    expect(
      await matches('notes_shares', `note.notes_shares_via_note.recipient ?= "${carol.record.id}"`),
    ).toEqual([]);
    expect(await matches('notes_shares', `note.owner.email ?~ "@"`)).toEqual([]);
    // What Bob may see, he may still filter by.
    expect(
      await matches('notes', `id = "${note.id}" && notes_shares_via_note.recipient ?= "${bob.record.id}"`),
    ).toEqual([note.id]);
    expect(await matches('notes_shares', `note.id = "${note.id}"`)).toHaveLength(1);
    // The owner sees every share of her note.
    const own = await alice.client.collection('notes').getFullList({
      filter: `id = "${note.id}" && notes_shares_via_note.recipient ?= "${carol.record.id}"`,
    });
    expect(own.map((n) => n.id)).toEqual([note.id]);
  });
});

describe('GET /api/hearth/notes/recipient', () => {
  test('finds a user with notes keys by their exact email (any case)', async () => {
    const keys = await bob.client.collection('notes_keys').getOne(bob.record.id);
    const expected = { id: bob.record.id, boxPublicKey: keys['boxPublicKey'], verified: false };
    expect(await lookup(alice.client, bob.email)).toEqual(expected);
    expect(await lookup(alice.client, bob.email.toUpperCase())).toEqual(expected);
    // Whether the address is proven: the app warns before sharing with an account nobody verified.
    await s.admin.collection('users').update(carol.record.id, { verified: true });
    expect(await lookup(alice.client, carol.email)).toMatchObject({ id: carol.record.id, verified: true });
  });

  test('an unknown address and a user without notes keys get the very same 404', async () => {
    const unknown = await failure(lookup(alice.client, 'nobody-here@example.com'));
    const keyless = await failure(lookup(alice.client, dave.email));
    const prefix = await failure(lookup(alice.client, bob.email.slice(0, -1)));
    for (const err of [unknown, keyless, prefix]) {
      expect(err.status).toBe(404);
      expect(err.response).toEqual(unknown.response);
    }
  });

  test.each([
    ['a guest', 401, () => s.newClient(), 'x@example.com'],
    ['a superuser (not a user)', 403, () => s.admin, 'x@example.com'],
    ['no email', 400, () => alice.client, ''],
    ['not an email', 400, () => alice.client, 'bob'],
  ])('%s → %i', async (_, code, client, email) => {
    expect((await failure(lookup(client(), email as string))).status).toBe(code);
  });

  test('rate limited per client, by default 30 a minute for signed-in users', async () => {
    const settings = (await s.admin.settings.getAll()) as { rateLimits: { rules: unknown[] } };
    expect(settings.rateLimits.rules).toContainEqual({
      label: '/api/hearth/notes/recipient',
      audience: '@auth',
      duration: 60,
      maxRequests: 30,
    });
    // A smaller limit of the same rule (a changed rule list starts with empty windows).
    await s.admin.settings.update({
      rateLimits: {
        enabled: true,
        rules: [{ label: '/api/hearth/notes/recipient', audience: '@auth', duration: 60, maxRequests: 3 }],
      },
    });
    try {
      for (let i = 0; i < 3; i++) expect(await status(lookup(alice.client, dave.email))).toBe(404);
      const limited = await failure(lookup(alice.client, bob.email));
      expect(limited.status).toBe(429);
      expect(await status(lookup(s.admin, bob.email))).toBe(403); // superusers are never limited
    } finally {
      await s.admin.settings.update({ rateLimits: { enabled: true, rules: DEFAULT_RATE_LIMIT_RULES } });
    }
  });
});

describe('sizes and attachments', () => {
  test('a 1 MB note goes in and comes back byte for byte', async () => {
    const text = 'é'.repeat(512 * 1024); // 1 MiB of UTF-8
    const id = newRecordId();
    const key = newNoteKey();
    const ciphertext = sealNote({ noteId: id, version: 1, content: { text } }, key);
    expect(ciphertext.length).toBeGreaterThan(1_398_000);
    await alice.client.collection('notes').create({
      id,
      owner: alice.record.id,
      keyWrap: wrapKey(key, alice.master!, 'note'),
      ciphertext,
      version: 1,
    });
    const back = await alice.client.collection('notes').getOne(id);
    expect(back['ciphertext']).toBe(ciphertext);
    expect(openNote(String(back['ciphertext']), { noteId: id, version: 1 }, key)).toEqual({ text });

    const max = (await s.admin.collections.getOne('notes')).fields.find((f) => f['name'] === 'ciphertext')![
      'max'
    ] as number;
    const err = await failure(
      alice.client.collection('notes').update(id, { version: 2, ciphertext: 'A'.repeat(max + 1) }),
    );
    expect(fieldCode(err, 'ciphertext')).toBe('validation_max_text_constraint');
  });

  test('a sealed attachment is a protected file its readers download with a file token', async () => {
    const note = await newNote(alice, 'with a file');
    await share(alice, note, bob, false);
    const name = `${newRecordId(12)}.bin`; // the app's own name, bound into the sealed bytes
    const sealed = sealAttachment(new TextEncoder().encode('attached'), { noteId: note.id, name }, note.key);
    const saved = await alice.client.collection('notes').update(note.id, {
      ...save(note, 2, 'with a file'),
      'attachments+': [new File([new Uint8Array(sealed)], name)],
    });
    const stored = (saved['attachments'] as string[])[0]!;
    // The server adds a random suffix; the app finds its name again by taking it off.
    expect(stored).toMatch(new RegExp(`^${name.slice(0, -4)}_[a-z0-9]{10}\\.bin$`));

    const download = async (u: User | null) => {
      const pb = u?.client ?? s.newClient();
      const token = u ? await pb.files.getToken() : '';
      return fetch(pb.files.getURL(saved, stored, token ? { token } : {}));
    };
    const res = await download(bob);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(openAttachment(bytes, { noteId: note.id, name }, note.key))).toBe(
      'attached',
    );
    for (const u of [dave, null]) expect((await download(u)).status).toBe(403);
  });
});

describe('deletes cascade', () => {
  test('a note takes its shares and versions with it', async () => {
    const note = await newNote(alice, 'x');
    const shared = await share(alice, note, bob, false);
    const version = await alice.client.collection('notes_versions').create({
      note: note.id,
      version: 1,
      ciphertext: sealNote({ noteId: note.id, version: 1, content: {} }, note.key),
      keyWrap: wrapKey(note.key, alice.master!, 'note'),
    });
    await alice.client.collection('notes').delete(note.id);
    expect(await status(s.admin.collection('notes_shares').getOne(shared.id))).toBe(404);
    expect(await status(s.admin.collection('notes_versions').getOne(version.id))).toBe(404);
  });

  test('a deleted user takes their keys, notes and the shares they received', async () => {
    const erin = await newUser();
    await setUpKeys(erin);
    const hers = await newNote(erin, 'mine');
    const toHer = await share(alice, await newNote(alice, 'for erin'), erin, false);
    await erin.client.collection('users').delete(erin.record.id);
    expect(await status(s.admin.collection('notes_keys').getOne(erin.record.id))).toBe(404);
    expect(await status(s.admin.collection('notes').getOne(hers.id))).toBe(404);
    expect(await status(s.admin.collection('notes_shares').getOne(toHer.id))).toBe(404);
    // An account made again with the same id (clients may choose ids) starts without keys.
    const again = await s.newClient().collection('users').create({
      id: erin.record.id,
      email: erin.email,
      password: PASSWORD,
      passwordConfirm: PASSWORD,
    });
    expect(again.id).toBe(erin.record.id);
    expect(await status(s.admin.collection('notes_keys').getOne(erin.record.id))).toBe(404);
  });

  test('a keys row whose user is gone (a crash before its cleanup) is deleted at the next start', async () => {
    const first = testHearth();
    const orphan = newRecordId();
    // What a crash between the user's delete and the cleanup after its commit would leave.
    first.db.sql
      .prepare('INSERT INTO notes_keys (id, boxPublicKey, boxSecretWrap) VALUES (?, ?, ?)')
      .run(orphan, 'AA', 'AA');
    await first.close();
    const next = testHearth(first.dir);
    try {
      expect(next.db.sql.prepare('SELECT count(*) FROM notes_keys').pluck().get()).toBe(0);
    } finally {
      await next.cleanup();
    }
  });
});

describe('the collections', () => {
  test('are system collections: their rules re-save as they are, they cannot be deleted', async () => {
    for (const name of ['notes_keys', 'notes', 'notes_shares', 'notes_versions']) {
      const c = await s.admin.collections.getOne(name);
      expect(c.system).toBe(true);
      const again = await s.admin.collections.update(name, {
        listRule: c.listRule,
        updateRule: c.updateRule,
      });
      expect(again.listRule).toBe(c.listRule);
      expect((await failure(s.admin.collections.delete(name))).status).toBe(400);
    }
  });

  test('the migration applies on a fresh data folder and `hearth migrate status` lists it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-notes-'));
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      expect(await run(['migrate', 'up', '--dir', dir], 'test')).toBe(0);
      expect(out.join('')).toMatch(/applied\s+2026-11-22T10:10:00Z\s+notes\/20261122101000_collections/);
      out.length = 0;
      expect(await run(['migrate', 'status', '--dir', dir], 'test')).toBe(0);
      expect(out.join('')).toMatch(
        /applied\s+2026-11-22T10:10:00Z\s+notes\/20261122101000_collections\s+applied /,
      );
      expect(out.join('')).toMatch(/\d+ applied, 0 pending, 0 unknown/);
    } finally {
      write.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
