import type { CollectionModel } from 'pocketbase';
import type PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SUPERUSER } from '../../api/testing/hearth';
import { createCollection, failure, send, startSdkServer, unique, type SdkServer } from './server';

// Error shapes and hostile input (QUALITY.md "filter" row). PocketBase answers bad list parameters with
// 400 (tools/search/provider.go: filter ≤ 3500 chars, ≤ 200 expressions, ≤ 8 sort fields, numeric
// page/perPage, boolean skipTotal); nothing a client sends may become a 500 or leak SQL or secrets.

let s: SdkServer;
let pub: CollectionModel;
let anon: PocketBase;
const ROWS = 5;

beforeAll(async () => {
  s = await startSdkServer();
  anon = s.newClient();
  pub = await createCollection(s.admin, unique('pub'), [
    { name: 'title', type: 'text' },
    { name: 'n', type: 'number' },
    { name: 'secret', type: 'text', hidden: true },
  ]);
  for (let i = 0; i < ROWS; i++)
    await s.admin.collection(pub.name).create({ title: `t${i}`, n: i, secret: `s${i}` });
});
afterAll(async () => {
  await s?.close();
});

const path = () => `/api/collections/${pub.name}/records`;

/** The answer leaks no SQL engine error, stack or secret. */
function expectClean(body: unknown): void {
  const text = JSON.stringify(body);
  // Engine errors and stack frames (a client's own input echoed back in a message is fine).
  expect(text).not.toMatch(/SQLITE_[A-Z]+|SqliteError|no such (table|column)|syntax error|at \S+\.[jt]s:\d+/);
  expect(text).not.toContain(SUPERUSER.email);
  expect(text).not.toMatch(/\$argon2|\$2[aby]\$/);
}

async function status(
  pb: PocketBase,
  query: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  try {
    return { status: 200, body: await send(pb, path(), { query }) };
  } catch (err) {
    const e = err as { status: number; response: unknown };
    return { status: e.status, body: e.response };
  }
}

async function tableIntact(): Promise<void> {
  const r = await s.admin.collection(pub.name).getList(1, 1);
  expect(r.totalItems).toBe(ROWS);
  expect((await s.admin.collections.getOne('_superusers')).name).toBe('_superusers');
}

describe('error shape', () => {
  test('every error is {status, message, data} and the SDK reads the message', async () => {
    const err = await failure(s.admin.collection('no_such_collection').getList());
    expect(err.status).toBe(404);
    expect(err.response).toEqual({ status: 404, message: 'Missing collection context.', data: {} });
    expect(err.message).toBe('Missing collection context.');
  });

  test('an unknown API path is a JSON 404', async () => {
    const err = await failure(s.admin.send('/api/no/such/route', {}));
    expect(err.status).toBe(404);
    expect(err.response).toMatchObject({ status: 404, data: {} });
  });
});

describe('bad list parameters → 400', () => {
  test.each([
    { label: 'perPage=abc', query: { perPage: 'abc' } },
    { label: 'perPage=1.5', query: { perPage: '1.5' } },
    { label: 'page=x', query: { page: 'x' } },
    { label: 'skipTotal=maybe', query: { skipTotal: 'maybe' } },
    { label: '9 sort fields', query: { sort: 'n,title,id,-n,-title,-id,n,title,id' } },
    { label: 'an unterminated string', query: { filter: 'title = "abc' } },
    { label: 'a dangling operator', query: { filter: 'title =' } },
    { label: 'unbalanced parentheses', query: { filter: '(n = 1' } },
    { label: 'an unknown operator', query: { filter: 'n === 1' } },
    { label: 'sorting by an unknown field', query: { sort: 'nosuchfield' } },
  ])('$label', async ({ query }) => {
    const r = await status(s.admin, query);
    expect(r.status).toBe(400);
    expect((r.body as { message?: unknown }).message).toEqual(expect.any(String));
    expectClean(r.body);
  });

  test('a filter naming an unknown field → 400 whose message names the field', async () => {
    const r = await status(s.admin, { filter: 'nosuchfield = 1' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('nosuchfield');
    expectClean(r.body);
  });

  test('a filter on a hidden field → 400 for non-superusers (and reveals nothing)', async () => {
    const r = await status(anon, { filter: 'secret = "s1"' });
    expect(r.status).toBe(400);
    expectClean(r.body);
    expect(JSON.stringify(r.body)).not.toContain('s1');
    // Superusers may filter on it.
    const ok = await s.admin.collection(pub.name).getList(1, 10, { filter: 'secret = "s1"' });
    expect(ok.items.map((x) => x['title'])).toEqual(['t1']);
  });

  test('@request and @collection in a client filter or sort → 403 for non-superusers', async () => {
    for (const query of [
      { filter: '@request.auth.id = ""' },
      { filter: '@collection._superusers.email != ""' },
      { sort: '@request.auth.id' },
    ]) {
      const r = await status(anon, query);
      expect(r.status, JSON.stringify(query)).toBe(403);
      expectClean(r.body);
    }
    // Superusers may use them.
    const ok = await status(s.admin, { filter: '@request.auth.id != ""' });
    expect(ok.status).toBe(200);
    expect((ok.body as { items: unknown[] }).items).toHaveLength(ROWS);
  });

  test('a 10 000-character filter → 400 with a message about the filter', async () => {
    const filter = `title = "${'x'.repeat(10_000 - 10)}"`;
    expect(filter.length).toBe(10_000 - 10 + 10);
    const r = await status(anon, { filter });
    expect(r.status).toBe(400);
    expect((r.body as { message: string }).message).toMatch(/filter/i);
    expectClean(r.body);
  });

  test('a filter just under the 3500-character limit is accepted', async () => {
    const filter = `title = "${'x'.repeat(3400)}"`;
    const r = await status(anon, { filter });
    expect(r.status).toBe(200);
    expect((r.body as { items: unknown[] }).items).toEqual([]);
  });

  test('300 nested parentheses → 400 with a message about the filter', async () => {
    const filter = `${'('.repeat(300)}n = 1${')'.repeat(300)}`;
    const r = await status(anon, { filter });
    expect(r.status).toBe(400);
    expect((r.body as { message: string }).message).toMatch(/filter/i);
    expectClean(r.body);
    await tableIntact();
  });

  test('more than 200 expressions → 400', async () => {
    const filter = Array.from({ length: 201 }, () => 'n=1').join('||');
    expect(filter.length).toBeLessThan(3500);
    const r = await status(anon, { filter });
    expect(r.status).toBe(400);
    expectClean(r.body);
  });
});

const INJECTIONS = [
  "'",
  '"',
  '\\',
  "' OR 1=1 --",
  '" OR "1"="1',
  '1; DROP TABLE _collections; --',
  `x") OR 1=1; DROP TABLE "${'_superusers'}"; --`,
  "title = 'a' UNION SELECT email, password FROM _superusers --",
  '/* comment */ id',
  'n = 1 ) OR ( 1 = 1',
  '%00',
  '\u0000',
  '${jndi:ldap://x}',
  '{{7*7}}',
  'title = "\u202e"',
  'id = (SELECT id FROM _superusers LIMIT 1)',
  'sqlite_master.name != ""',
  '@collection._superusers.password != ""',
];

describe.each(INJECTIONS.map((value) => ({ value })))('injection $value', ({ value }) => {
  test('in filter → 4xx or no rows, never a 500', async () => {
    for (const pb of [anon, s.admin]) {
      const r = await status(pb, { filter: value });
      expect(r.status).not.toBeGreaterThanOrEqual(500);
      if (r.status === 200) expect((r.body as { items: unknown[] }).items.length).toBeLessThanOrEqual(ROWS);
      else expect(r.status).toBeGreaterThanOrEqual(400);
      expectClean(r.body);
    }
    await tableIntact();
  });

  test('in a filter value through pb.filter() → 200 with no match', async () => {
    const filter = anon.filter('title = {:v}', { v: value });
    if (/@(collection|request)\./.test(value)) {
      // PocketBase's superuser-only check is a plain substring test on the raw filter, quoted or not.
      expect((await failure(anon.collection(pub.name).getList(1, 10, { filter }))).status).toBe(403);
      return;
    }
    if (value.endsWith('\\')) {
      // pb.filter escapes a backslash as two, but PocketBase's scanner has no backslash escape: the
      // closing quote then reads as escaped and the text is unterminated → 400 in PocketBase too.
      expect((await failure(anon.collection(pub.name).getList(1, 10, { filter }))).status).toBe(400);
      return;
    }
    const r = await anon.collection(pub.name).getList(1, 10, { filter });
    expect(r.items).toEqual([]);
  });

  test('in sort → 400 (403 for @collection/@request, superusers only)', async () => {
    const r = await status(anon, { sort: value });
    expect(r.status).toBe(/@(collection|request)\./.test(value) ? 403 : 400);
    expectClean(r.body);
    await tableIntact();
  });

  test('in fields and expand → never a 500, nothing leaked', async () => {
    for (const query of [
      { fields: value },
      { expand: value },
      { fields: `id,${value}`, expand: `${value}.x` },
    ]) {
      const r = await status(anon, query);
      expect(r.status).toBeLessThan(500);
      expectClean(r.body);
    }
    await tableIntact();
  });

  test('as a record id → 404', async () => {
    for (const call of [
      () => anon.collection(pub.name).getOne(value),
      () => anon.collection(pub.name).update(value, { title: 'x' }),
      () => anon.collection(pub.name).delete(value),
    ]) {
      const err = await failure(call());
      expect(err.status).toBe(404);
      expectClean(err.response);
    }
    await tableIntact();
  });

  test('as a collection name → 404', async () => {
    const err = await failure(anon.collection(value).getList());
    expect(err.status).toBe(404);
    expectClean(err.response);
  });
});
