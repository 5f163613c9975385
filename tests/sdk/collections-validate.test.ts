import { ClientResponseError, type CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, fieldCode, startSdkServer, unique, type SdkServer } from './server';

// POST /api/hearth/collections/validate (Hearth only): the dry run of a collection create, or with
// ?collection=<idOrName> of an update. 204 when the save would succeed, else the very 400 the save
// answers; nothing is changed either way.

let s: SdkServer;
let posts: CollectionModel;
let view: CollectionModel;
let events: string[] = [];

beforeAll(async () => {
  s = await startSdkServer();
  posts = await createCollection(s.admin, unique('posts'), [
    { name: 'title', type: 'text' },
    { name: 'n', type: 'number' },
  ]);
  view = await s.admin.collections.create({
    name: unique('shelf'),
    type: 'view',
    listRule: '',
    viewQuery: `SELECT id, title FROM ${posts.name}`,
  });
  s.hearth.bus.subscribeAll((name) => void events.push(name));
});
afterAll(async () => {
  await s?.close();
});

const PATH = '/api/hearth/collections/validate';

/** The dry run through the SDK: undefined for 204, else the error the SDK raised. */
async function validate(body: unknown, collection?: string): Promise<ClientResponseError | undefined> {
  try {
    await s.admin.send(PATH, { method: 'POST', body, query: collection ? { collection } : {} });
    return undefined;
  } catch (err) {
    if (err instanceof ClientResponseError) return err;
    throw err;
  }
}

/** Everything a dry run must leave as it was. */
async function snapshot() {
  return {
    schema: s.hearth.db.sql
      .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name')
      .all(),
    rows: s.hearth.db.sql.prepare('SELECT * FROM _collections ORDER BY id').all(),
    list: await s.admin.collections.getFullList({ sort: 'name' }),
    registry: s.hearth.collections.all().map((c) => JSON.stringify(c)),
  };
}

interface Case {
  label: string;
  body: () => Record<string, unknown>;
  /** Update of this collection (by name) instead of a create. */
  update?: () => string;
  /** `data.<key>.code` expected, or null for 204. */
  key: string | null;
  code?: string;
}

const cases: Case[] = [
  {
    label: 'a valid base collection',
    body: () => ({ name: unique('ok'), fields: [{ name: 't', type: 'text' }] }),
    key: null,
  },
  { label: 'a valid auth collection', body: () => ({ name: unique('members'), type: 'auth' }), key: null },
  {
    label: 'a valid view',
    body: () => ({ name: unique('v'), type: 'view', viewQuery: `SELECT id, n FROM ${posts.name}` }),
    key: null,
  },
  {
    label: 'a rule naming a field the same body adds',
    body: () => ({ name: unique('r'), fields: [{ name: 'owner', type: 'text' }], listRule: 'owner = "x"' }),
    key: null,
  },
  {
    label: 'a listRule naming an unknown field',
    body: () => ({ name: unique('r'), listRule: 'nosuchfield = 1' }),
    key: 'listRule',
    code: 'validation_invalid_rule',
  },
  {
    label: 'a viewRule with a syntax error',
    body: () => ({ name: unique('r'), viewRule: 'id = ' }),
    key: 'viewRule',
    code: 'validation_invalid_rule',
  },
  {
    label: 'a taken name',
    body: () => ({ name: 'users' }),
    key: 'name',
    code: 'validation_collection_name_exists',
  },
  {
    label: 'a reserved name',
    body: () => ({ name: '_collections' }),
    key: 'name',
    code: 'validation_not_in_invalid',
  },
  {
    label: 'a duplicated field name',
    body: () => ({
      name: unique('d'),
      fields: [
        { name: 'a', type: 'text' },
        { name: 'A', type: 'text' },
      ],
    }),
    key: 'fields',
  },
  {
    label: 'a relation to a missing collection',
    body: () => ({ name: unique('rel'), fields: [{ name: 'x', type: 'relation', collectionId: 'nope' }] }),
    key: 'fields',
  },
  {
    label: 'an index on a missing column',
    body: () => {
      const name = unique('ix');
      return { name, indexes: [`CREATE INDEX idx_${name} ON ${name} (missing)`] };
    },
    key: 'indexes',
  },
  {
    label: 'an index carrying a second statement',
    body: () => ({ name: unique('ix'), indexes: ['CREATE INDEX i ON x (id); DROP TABLE users'] }),
    key: 'indexes',
  },
  {
    label: 'a view over a missing table',
    body: () => ({ name: unique('v'), type: 'view', viewQuery: 'SELECT id FROM no_such_table' }),
    key: 'viewQuery',
    code: 'validation_invalid_view_query',
  },
  {
    label: 'a view that is not a SELECT',
    body: () => ({ name: unique('v'), type: 'view', viewQuery: 'DELETE FROM users' }),
    key: 'viewQuery',
    code: 'validation_invalid_view_query',
  },
  {
    label: 'a view of two statements',
    body: () => ({ name: unique('v'), type: 'view', viewQuery: 'SELECT id FROM users; DROP TABLE users' }),
    key: 'viewQuery',
  },
  {
    label: 'a view selecting password hashes',
    body: () => ({ name: unique('v'), type: 'view', viewQuery: 'SELECT id, password FROM users' }),
    key: 'viewQuery',
    code: 'validation_invalid_view_query',
  },
  {
    label: 'a view without an id column',
    body: () => ({ name: unique('v'), type: 'view', viewQuery: 'SELECT 1 AS x' }),
    key: 'viewQuery',
  },
  {
    label: 'a view whose rule names a column it does not select',
    body: () => ({
      name: unique('v'),
      type: 'view',
      viewQuery: `SELECT id, title FROM ${posts.name}`,
      listRule: 'n > 1',
    }),
    key: 'listRule',
    code: 'validation_invalid_rule',
  },
  {
    label: 'update: a new field and a rule that reads it',
    update: () => posts.name,
    body: () => ({
      fields: [...posts.fields, { name: 'owner', type: 'text' }],
      updateRule: 'owner = @request.auth.id',
    }),
    key: null,
  },
  {
    label: 'update: a rule naming an unknown field',
    update: () => posts.name,
    body: () => ({ listRule: 'title = "a" && nope = 1' }),
    key: 'listRule',
    code: 'validation_invalid_rule',
  },
  {
    label: 'update: a type change',
    update: () => posts.name,
    body: () => ({ type: 'auth' }),
    key: 'type',
    code: 'validation_collection_type_change',
  },
  {
    label: 'update: a view query over a missing table',
    update: () => view.name,
    body: () => ({ viewQuery: 'SELECT id FROM no_such_table' }),
    key: 'viewQuery',
  },
];

describe('a dry run answers what the save would', () => {
  test.each(cases)('$label', async ({ body, update, key, code }) => {
    const input = body();
    const target = update?.();
    const before = await snapshot();
    events = [];

    const dry = await validate(input, target);
    if (key === null) {
      expect(dry?.response, 'dry run').toBeUndefined();
    } else {
      expect(dry?.status).toBe(400);
      expect(dry?.response['data']).toHaveProperty(key);
      if (code) expect(fieldCode(dry!, key)).toBe(code);
    }
    // Nothing changed: no table, no row, no collection, no event.
    expect(await snapshot()).toEqual(before);
    await s.hearth.bus.flush();
    expect(events).toEqual([]);

    // The real save answers the same (and succeeds when the dry run did).
    const save = target ? s.admin.collections.update(target, input) : s.admin.collections.create(input);
    if (key === null) {
      await save;
      if (target) await s.admin.collections.update(target, restore(target));
    } else {
      const real = await failure(save);
      expect(dry?.response).toEqual(real.response);
    }
  });
});

/** The body that puts `posts` (or `view`) back as the fixture created it. */
function restore(name: string): Record<string, unknown> {
  const original = name === posts.name ? posts : view;
  return original.type === 'view'
    ? { viewQuery: original['viewQuery'] as string }
    : { fields: original.fields, listRule: original.listRule, updateRule: original.updateRule };
}

describe('rule errors say where the problem is', () => {
  const rules: [string, string, { line: number; column: number }][] = [
    ['an unknown field', 'title = "a" && nope = 1', { line: 1, column: 16 }],
    [
      'an unknown field in a relation path',
      'title != "" &&\n  @collection.users.nope = 1',
      { line: 2, column: 3 },
    ],
    ['a missing value', 'title =', { line: 1, column: 8 }],
    ['an unknown operator', 'title === "a"', { line: 1, column: 7 }],
    ['an unterminated text', '// a comment\ntitle = "a', { line: 2, column: 9 }],
  ];
  test.each(rules)('%s', async (_, rule, where) => {
    const err = await validate({ listRule: rule }, posts.name);
    expect(err?.status).toBe(400);
    const entry = (err?.response['data'] as Record<string, { message: string; params?: unknown }>)[
      'listRule'
    ];
    expect(entry?.message).toContain(`line ${where.line}, column ${where.column}`);
    expect(entry?.params).toMatchObject(where);
  });
});

describe('update target', () => {
  test('?collection= takes an id as well as a name', async () => {
    expect(await validate({ listRule: 'n > 1' }, posts.id)).toBeUndefined();
  });

  test('an unknown ?collection= is a 404, as PATCH answers', async () => {
    const err = await validate({ listRule: '' }, 'no_such_collection');
    expect(err?.status).toBe(404);
  });

  test('removing a field a view reads → 400 naming the view, everything kept', async () => {
    const before = await snapshot();
    const fields = posts.fields.filter((f) => f.name !== 'title');
    const err = await validate({ fields }, posts.name);
    expect(err?.status).toBe(400);
    expect(err?.response.message).toContain(view.name);
    expect(await snapshot()).toEqual(before);
  });

  test('a rename the view follows → 204, and neither table nor view is renamed', async () => {
    const before = await snapshot();
    const fields = posts.fields.map((f) => (f.name === 'title' ? { ...f, name: 'heading' } : f));
    expect(await validate({ name: unique('renamed'), fields }, posts.name)).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    expect((await s.admin.collections.getOne(view.name))['viewQuery']).toContain(posts.name);
  });
});

describe('access', () => {
  test('anonymous → 401, a signed-in user → 403, nothing validated', async () => {
    const body = { name: unique('x') };
    const anon = await failure(s.newClient().send(PATH, { method: 'POST', body }));
    expect(anon.status).toBe(401);
    const { client } = await s.signUp();
    const user = await failure(client.send(PATH, { method: 'POST', body }));
    expect(user.status).toBe(403);
  });
});

describe('hostile bodies are 400s, never 500s', () => {
  const raw = (body: string) =>
    fetch(`${s.url}${PATH}`, {
      method: 'POST',
      headers: { Authorization: s.admin.authStore.token, 'content-type': 'application/json' },
      body,
    });
  const bodies: [string, string][] = [
    ['not JSON', '{"name":'],
    ['empty', ''],
    ['an array', '[{"name":"x"}]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a number', '12'],
    ['a name that is an object', '{"name":{"a":1}}'],
    ['fields that are an object', '{"name":"h1","fields":{"0":{}}}'],
    ['fields of nulls, numbers and arrays', '{"name":"h2","fields":[null,1,"x",[]]}'],
    ['indexes that are not text', '{"name":"h3","indexes":[{},1]}'],
    ['a rule that is an object', '{"name":"h4","listRule":{"a":1}}'],
    ['a view query that is a list', '{"name":"h5","type":"view","viewQuery":["SELECT 1"]}'],
    ['an unknown type', '{"name":"h6","type":"table"}'],
    ['auth options of the wrong types', '{"name":"h7","type":"auth","otp":[],"passwordAuth":"x"}'],
    [
      'a rule over the length limit',
      JSON.stringify({ name: 'h8', listRule: 'id = "x" && '.repeat(1000) + 'id = ""' }),
    ],
    [
      'a deeply nested rule',
      JSON.stringify({ name: 'h9', listRule: '('.repeat(1500) + 'id = ""' + ')'.repeat(1500) }),
    ],
    [
      'more fields than SQLite has columns',
      JSON.stringify({
        name: 'h10',
        fields: Array.from({ length: 2100 }, (_, i) => ({ name: `f${i}`, type: 'text' })),
      }),
    ],
    [
      'a view query nested too deep',
      JSON.stringify({
        name: 'h11',
        type: 'view',
        viewQuery: `SELECT id FROM users WHERE ${'('.repeat(3000)}1${')'.repeat(3000)}`,
      }),
    ],
  ];
  test.each(bodies)('%s', async (_, body) => {
    const before = await snapshot();
    const res = await raw(body);
    expect(res.status, await res.clone().text()).toBe(400);
    const json = (await res.json()) as { status: number; message: string };
    expect(json.status).toBe(400);
    expect(json.message).toEqual(expect.any(String));
    expect(await snapshot()).toEqual(before);
  });

  test('a body over http.maxBodySize → 413 without being read', async () => {
    s.hearth.settings.set({ 'http.maxBodySize': 64 * 1024 });
    try {
      const res = await raw(JSON.stringify({ name: 'big', listRule: 'x'.repeat(100 * 1024) }));
      expect(res.status).toBe(413);
    } finally {
      s.hearth.settings.set({ 'http.maxBodySize': 32 * 1024 * 1024 });
    }
  });
});
