import type { CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createCollection,
  failure,
  fieldCode,
  startSdkServer,
  tableColumns,
  unique,
  type SdkServer,
} from './server';

// Collections API (superusers only), as pocketbase/pocketbase apis/collection.go and
// core/collection_validate.go behave.

let s: SdkServer;
beforeAll(async () => {
  s = await startSdkServer();
});
afterAll(async () => {
  await s?.close();
});

function field(c: CollectionModel, name: string): Record<string, unknown> {
  const found = c.fields.find((f) => f.name === name);
  expect(found, `field ${name} of ${c.name}`).toBeDefined();
  return found as Record<string, unknown>;
}

describe('access', () => {
  test('anonymous clients get 401 on every collections endpoint', async () => {
    const anon = s.newClient();
    const calls: [string, () => Promise<unknown>][] = [
      ['list', () => anon.collections.getList(1, 10)],
      ['view', () => anon.collections.getOne('users')],
      ['create', () => anon.collections.create({ name: unique('x'), type: 'base' })],
      ['update', () => anon.collections.update('users', { listRule: '' })],
      ['delete', () => anon.collections.delete('users')],
      ['truncate', () => anon.collections.truncate('users')],
      ['import', () => anon.collections.import([], false)],
      ['scaffolds', () => anon.collections.getScaffolds()],
    ];
    for (const [name, call] of calls) {
      const err = await failure(call());
      expect(err.status, name).toBe(401);
    }
    // Nothing changed: users keeps its rules.
    const users = await s.admin.collections.getOne('users');
    expect(users.listRule).toBe('id = @request.auth.id');
  });

  test('a signed-in user (not a superuser) gets 403', async () => {
    const { client } = await s.signUp();
    const err = await failure(client.collections.getList(1, 10));
    expect(err.status).toBe(403);
    expect(err.response.message).toEqual(expect.any(String));
  });
});

describe('a new install', () => {
  test('has the auth collections users and _superusers', async () => {
    const all = await s.admin.collections.getFullList();
    const byName = new Map(all.map((c) => [c.name, c]));
    const users = byName.get('users');
    const superusers = byName.get('_superusers');
    expect(users?.type).toBe('auth');
    expect(superusers?.type).toBe('auth');
    expect(superusers?.system).toBe(true);
    expect(superusers?.id).toBe('pbc_3142635823');
  });

  test('users has PocketBase default rules: anyone signs up, a user sees and edits only itself', async () => {
    const users = await s.admin.collections.getOne('users');
    expect(users).toMatchObject({
      name: 'users',
      type: 'auth',
      listRule: 'id = @request.auth.id',
      viewRule: 'id = @request.auth.id',
      createRule: '',
      updateRule: 'id = @request.auth.id',
      deleteRule: 'id = @request.auth.id',
    });
    const names = users.fields.map((f) => f.name);
    for (const n of ['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified']) {
      expect(names).toContain(n);
    }
    expect(field(users, 'password')).toMatchObject({ type: 'password', hidden: true, system: true });
    expect(field(users, 'tokenKey')).toMatchObject({ type: 'text', hidden: true, system: true });
    expect(users['passwordAuth']).toMatchObject({ enabled: true });
  });
});

describe('create', () => {
  test('a base collection gets an id field, a pbc_ id, field ids and a real table', async () => {
    const name = unique('posts');
    const c = await createCollection(s.admin, name, [
      { name: 'title', type: 'text', required: true, max: 100 },
      { name: 'views', type: 'number', min: 0 },
    ]);
    expect(c).toMatchObject({
      name,
      type: 'base',
      system: false,
      listRule: '',
      viewRule: '',
      createRule: '',
      updateRule: '',
      deleteRule: '',
      indexes: [],
    });
    expect(c.id).toMatch(/^pbc_\d+$/);
    expect(c.fields.map((f) => f.name)).toEqual(['id', 'title', 'views']);
    expect(field(c, 'id')).toMatchObject({ type: 'text', primaryKey: true, system: true, required: true });
    expect(field(c, 'title')).toMatchObject({ type: 'text', required: true, max: 100, system: false });
    expect(field(c, 'views')).toMatchObject({ type: 'number', min: 0 });
    for (const f of c.fields) expect(f.id, f.name).toEqual(expect.any(String));
    expect(tableColumns(s.hearth, name)).toEqual(expect.arrayContaining(['id', 'title', 'views']));
  });

  test('is readable by name and by id, and listed with a filter', async () => {
    const name = unique('byname');
    const c = await createCollection(s.admin, name, [{ name: 'a', type: 'text' }]);
    expect((await s.admin.collections.getOne(name)).id).toBe(c.id);
    expect((await s.admin.collections.getOne(c.id)).name).toBe(name);
    const list = await s.admin.collections.getList(1, 10, {
      filter: s.admin.filter('name = {:n}', { n: name }),
    });
    expect(list.totalItems).toBe(1);
    expect(list.items[0]?.id).toBe(c.id);
  });

  test('rules null stay null (superusers only), filters are kept verbatim', async () => {
    const c = await createCollection(s.admin, unique('rules'), [{ name: 'owner', type: 'text' }], {
      listRule: null,
      viewRule: 'owner = "x"',
      createRule: null,
      updateRule: null,
      deleteRule: null,
    });
    expect(c.listRule).toBeNull();
    expect(c.viewRule).toBe('owner = "x"');
    expect(c.createRule).toBeNull();
  });

  test('an auth collection gets the auth system fields and options', async () => {
    const c = await s.admin.collections.create({ name: unique('members'), type: 'auth', fields: [] });
    const names = c.fields.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified']),
    );
    expect(field(c, 'password')).toMatchObject({ hidden: true, system: true });
    expect(c['passwordAuth']).toMatchObject({ enabled: true, identityFields: ['email'] });
  });

  const invalid: { label: string; body: () => Record<string, unknown>; key: string; code?: string }[] = [
    {
      label: 'a duplicate name',
      body: () => ({ name: 'users' }),
      key: 'name',
      code: 'validation_collection_name_exists',
    },
    {
      label: 'a name with spaces',
      body: () => ({ name: 'bad name!' }),
      key: 'name',
      code: 'validation_match_invalid',
    },
    { label: 'no name', body: () => ({ name: '' }), key: 'name', code: 'validation_required' },
    {
      label: 'a rule naming an unknown field',
      body: () => ({ name: unique('r'), listRule: 'nosuchfield = 1' }),
      key: 'listRule',
      code: 'validation_invalid_rule',
    },
    {
      label: 'a duplicated field name',
      body: () => ({
        name: unique('d'),
        fields: [
          { name: 'a', type: 'text' },
          { name: 'a', type: 'text' },
        ],
      }),
      key: 'fields',
    },
  ];
  test.each(invalid)('$label → 400 with data.$key', async ({ body, key, code }) => {
    const err = await failure(s.admin.collections.create({ type: 'base', ...body() }));
    expect(err.status).toBe(400);
    expect(err.response.message).toBe('Failed to create collection.');
    expect(err.response.data).toHaveProperty(key);
    if (code) expect(fieldCode(err, key)).toBe(code);
  });

  test('an unknown field type is a 400, not a 500', async () => {
    const err = await failure(
      s.admin.collections.create({ name: unique('t'), type: 'base', fields: [{ name: 'x', type: 'nope' }] }),
    );
    expect(err.status).toBe(400);
  });
});

describe('update and delete', () => {
  test('PATCH changes rules and keeps the rest', async () => {
    const name = unique('upd');
    const c = await createCollection(s.admin, name, [{ name: 'a', type: 'text' }]);
    const updated = await s.admin.collections.update(name, { listRule: null, viewRule: 'a != ""' });
    expect(updated.id).toBe(c.id);
    expect(updated.listRule).toBeNull();
    expect(updated.viewRule).toBe('a != ""');
    expect(updated.createRule).toBe('');
    expect(updated.fields.map((f) => f.name)).toEqual(['id', 'a']);
  });

  test('the type of a collection cannot change', async () => {
    const name = unique('typ');
    await createCollection(s.admin, name, [{ name: 'a', type: 'text' }]);
    const err = await failure(s.admin.collections.update(name, { type: 'auth' }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'type')).toBe('validation_collection_type_change');
  });

  test('delete answers 204, drops the table, and the collection is gone', async () => {
    const name = unique('del');
    await createCollection(s.admin, name, [{ name: 'a', type: 'text' }]);
    await s.admin.collection(name).create({ a: 'x' });
    expect(await s.admin.collections.delete(name)).toBe(true);
    expect((await failure(s.admin.collections.getOne(name))).status).toBe(404);
    expect(tableColumns(s.hearth, name)).toEqual([]);
  });

  test('a collection referenced by a relation cannot be deleted', async () => {
    const target = await createCollection(s.admin, unique('target'), [{ name: 'a', type: 'text' }]);
    await createCollection(s.admin, unique('refs'), [
      { name: 'link', type: 'relation', collectionId: target.id, maxSelect: 1 },
    ]);
    const err = await failure(s.admin.collections.delete(target.id));
    expect(err.status).toBe(400);
    expect((await s.admin.collections.getOne(target.id)).name).toBe(target.name);
  });

  test('system collections cannot be deleted', async () => {
    const err = await failure(s.admin.collections.delete('_superusers'));
    expect(err.status).toBe(400);
    expect((await s.admin.collections.getOne('_superusers')).system).toBe(true);
  });

  test('unknown collections are 404 for view, update and delete', async () => {
    for (const call of [
      () => s.admin.collections.getOne('no_such_collection'),
      () => s.admin.collections.update('no_such_collection', { listRule: '' }),
      () => s.admin.collections.delete('no_such_collection'),
    ]) {
      expect((await failure(call())).status).toBe(404);
    }
  });
});
