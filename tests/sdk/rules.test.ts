import type PocketBase from 'pocketbase';
import type { CollectionModel, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, startSdkServer, unique, type SdkServer } from './server';

// Access rules as pocketbase/pocketbase apis/record_crud.go applies them: null = superusers only (403
// for anyone else), "" = everyone, a filter = list filters silently (200), view/update/delete → 404,
// create → 400. Superusers bypass every rule.

let s: SdkServer;
let alice: { record: RecordModel; client: PocketBase };
let bob: { record: RecordModel; client: PocketBase };
let anon: PocketBase;

beforeAll(async () => {
  s = await startSdkServer();
  anon = s.newClient();
  alice = await s.signUp('users', { name: 'alice' });
  bob = await s.signUp('users', { name: 'bob' });
});
afterAll(async () => {
  await s?.close();
});

type Op = 'list' | 'view' | 'create' | 'update' | 'delete';
const OPS: Op[] = ['list', 'view', 'create', 'update', 'delete'];

async function attempt(pb: PocketBase, c: CollectionModel, op: Op, id: string): Promise<number> {
  const col = pb.collection(c.name);
  try {
    if (op === 'list') await col.getList(1, 10);
    else if (op === 'view') await col.getOne(id);
    else if (op === 'create') await col.create({ title: 'new', owner: '' });
    else if (op === 'update') await col.update(id, { title: 'changed' });
    else await col.delete(id);
    return 200;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

describe('locked (null) rules', () => {
  let locked: CollectionModel;
  let seeded: RecordModel;
  beforeAll(async () => {
    locked = await createCollection(s.admin, unique('locked'), [{ name: 'title', type: 'text' }], {
      listRule: null,
      viewRule: null,
      createRule: null,
      updateRule: null,
      deleteRule: null,
    });
    seeded = await s.admin.collection(locked.name).create({ title: 'seed' });
  });

  test.each(OPS)('%s → 403 for anonymous and signed-in users', async (op) => {
    expect(await attempt(anon, locked, op, seeded.id)).toBe(403);
    expect(await attempt(alice.client, locked, op, seeded.id)).toBe(403);
    const rec = await s.admin.collection(locked.name).getOne(seeded.id);
    expect(rec['title']).toBe('seed');
  });

  test('the 403 says only superusers may do it', async () => {
    const err = await failure(anon.collection(locked.name).getList());
    expect(err.response).toMatchObject({ status: 403, message: 'Only superusers can perform this action.' });
  });

  test('superusers may do everything', async () => {
    const rec = await s.admin.collection(locked.name).create({ title: 'x' });
    expect((await s.admin.collection(locked.name).getList()).totalItems).toBeGreaterThanOrEqual(2);
    expect((await s.admin.collection(locked.name).update(rec.id, { title: 'y' }))['title']).toBe('y');
    expect(await s.admin.collection(locked.name).delete(rec.id)).toBe(true);
  });
});

describe('open ("") rules', () => {
  test('everyone may list, view, create, update and delete', async () => {
    const open = await createCollection(s.admin, unique('open'), [
      { name: 'title', type: 'text' },
      { name: 'owner', type: 'text' },
    ]);
    for (const pb of [anon, alice.client]) {
      const rec = await pb.collection(open.name).create({ title: 'mine' });
      for (const op of OPS) expect(await attempt(pb, open, op, rec.id), op).toBe(200);
    }
  });

  test('a bogus token is treated as a guest, not rejected', async () => {
    const open = await createCollection(s.admin, unique('open'), [{ name: 'title', type: 'text' }]);
    const pb = s.newClient('not-a-token');
    expect((await pb.collection(open.name).getList()).items).toEqual([]);
  });
});

describe('filter rules (owner = @request.auth.id)', () => {
  let docs: CollectionModel;
  let aliceDoc: RecordModel;
  let bobDoc: RecordModel;
  beforeAll(async () => {
    const users = await s.admin.collections.getOne('users');
    const ownerRule = 'owner = @request.auth.id';
    docs = await createCollection(
      s.admin,
      unique('docs'),
      [
        { name: 'title', type: 'text' },
        { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
      ],
      {
        listRule: ownerRule,
        viewRule: ownerRule,
        createRule: `${ownerRule} && @request.body.title != "forbidden"`,
        updateRule: ownerRule,
        deleteRule: ownerRule,
      },
    );
    aliceDoc = await s.admin.collection(docs.name).create({ title: 'a', owner: alice.record.id });
    bobDoc = await s.admin.collection(docs.name).create({ title: 'b', owner: bob.record.id });
  });

  test('list: each sees only its own items, anonymous sees none, all with 200', async () => {
    const forAlice = await alice.client.collection(docs.name).getList(1, 50);
    expect(forAlice.items.map((r) => r.id)).toEqual([aliceDoc.id]);
    expect(forAlice.totalItems).toBe(1);
    const forAnon = await anon.collection(docs.name).getList(1, 50);
    expect(forAnon).toMatchObject({ totalItems: 0, items: [] });
    // A client filter cannot widen the rule.
    const widened = await alice.client
      .collection(docs.name)
      .getList(1, 50, { filter: 'id != "" || true = true' });
    expect(widened.items.map((r) => r.id)).toEqual([aliceDoc.id]);
  });

  test('view, update and delete of a record the rule hides → 404, and nothing changes', async () => {
    for (const op of ['view', 'update', 'delete'] as const) {
      expect(await attempt(alice.client, docs, op, bobDoc.id), op).toBe(404);
      expect(await attempt(anon, docs, op, bobDoc.id), `${op} anonymous`).toBe(404);
    }
    const still = await s.admin.collection(docs.name).getOne(bobDoc.id);
    expect(still['title']).toBe('b');
  });

  test('view and update of an own record → 200', async () => {
    expect((await alice.client.collection(docs.name).getOne(aliceDoc.id)).id).toBe(aliceDoc.id);
    const upd = await alice.client.collection(docs.name).update(aliceDoc.id, { title: 'a2' });
    expect(upd['title']).toBe('a2');
  });

  test('create that does not satisfy the rule → 400 and nothing is written', async () => {
    const before = (await s.admin.collection(docs.name).getList(1, 1)).totalItems;
    const forOther = await failure(
      alice.client.collection(docs.name).create({ title: 'x', owner: bob.record.id }),
    );
    expect(forOther.status).toBe(400);
    expect(forOther.response.message).toBe('Failed to create record.');
    const byBody = await failure(
      alice.client.collection(docs.name).create({ title: 'forbidden', owner: alice.record.id }),
    );
    expect(byBody.status).toBe(400);
    const byAnon = await failure(anon.collection(docs.name).create({ title: 'x', owner: alice.record.id }));
    expect(byAnon.status).toBe(400);
    expect((await s.admin.collection(docs.name).getList(1, 1)).totalItems).toBe(before);
  });

  test('create that satisfies the rule → 200', async () => {
    const rec = await alice.client.collection(docs.name).create({ title: 'ok', owner: alice.record.id });
    expect(rec['owner']).toBe(alice.record.id);
  });

  test('delete of an own record → 204', async () => {
    const rec = await s.admin.collection(docs.name).create({ title: 'bye', owner: bob.record.id });
    expect(await bob.client.collection(docs.name).delete(rec.id)).toBe(true);
    expect((await failure(s.admin.collection(docs.name).getOne(rec.id))).status).toBe(404);
  });

  test('superusers bypass the rules', async () => {
    const all = await s.admin.collection(docs.name).getFullList();
    expect(all.map((r) => r.id)).toEqual(expect.arrayContaining([aliceDoc.id, bobDoc.id]));
    expect((await s.admin.collection(docs.name).getOne(bobDoc.id)).id).toBe(bobDoc.id);
    const made = await s.admin.collection(docs.name).create({ title: 'forbidden', owner: '' });
    expect(made['title']).toBe('forbidden');
  });
});

describe('the default users collection', () => {
  test('anyone may sign up', async () => {
    const email = `${unique('signup').toLowerCase()}@example.com`;
    const rec = await anon.collection('users').create({
      email,
      password: 'long-enough-pw',
      passwordConfirm: 'long-enough-pw',
      emailVisibility: true,
    });
    expect(rec).toMatchObject({ collectionName: 'users', email, verified: false });
    expect(rec).not.toHaveProperty('password');
    expect(rec).not.toHaveProperty('tokenKey');
  });

  test('sign-up validates the password pair', async () => {
    const email = `${unique('bad').toLowerCase()}@example.com`;
    const err = await failure(
      anon.collection('users').create({ email, password: 'long-enough-pw', passwordConfirm: 'different-pw' }),
    );
    expect(err.status).toBe(400);
    expect((err.response.data as Record<string, { code: string }>)['passwordConfirm']?.code).toBe(
      'validation_values_mismatch',
    );
  });

  test('a user lists and views only itself', async () => {
    const list = await alice.client.collection('users').getFullList();
    expect(list.map((r) => r.id)).toEqual([alice.record.id]);
    expect((await alice.client.collection('users').getOne(alice.record.id)).id).toBe(alice.record.id);
    expect((await failure(alice.client.collection('users').getOne(bob.record.id))).status).toBe(404);
    expect((await anon.collection('users').getList()).items).toEqual([]);
  });

  test('a user edits only itself', async () => {
    const own = await alice.client.collection('users').update(alice.record.id, { name: 'Alice A.' });
    expect(own['name']).toBe('Alice A.');
    const err = await failure(alice.client.collection('users').update(bob.record.id, { name: 'hacked' }));
    expect(err.status).toBe(404);
    expect((await s.admin.collection('users').getOne(bob.record.id))['name']).toBe('bob');
    expect((await failure(alice.client.collection('users').delete(bob.record.id))).status).toBe(404);
  });

  test('a token minted with the token module acts like a signed-in session', async () => {
    const minted = s.newClient(await s.userToken('users', bob.record.id));
    expect((await minted.collection('users').getFullList()).map((r) => r.id)).toEqual([bob.record.id]);
  });

  test('superusers see the email of any user, even with emailVisibility off', async () => {
    const adminView = await s.admin.collection('users').getOne(bob.record.id);
    expect(adminView['email']).toEqual(expect.stringContaining('@example.com'));
  });
});
