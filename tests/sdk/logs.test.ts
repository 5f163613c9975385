import type PocketBase from 'pocketbase';
import type { LogModel } from 'pocketbase';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { formatDateTime } from '../../api/lib/time';
import { failure, startSdkServer, unique, type SdkServer } from './server';

// The request log (PocketBase's logs API and activity logger) through the official SDK's `pb.logs`,
// against a real server: every /api request gets an entry in <dir>/auxiliary.db.

let s: SdkServer;

beforeAll(async () => {
  s = await startSdkServer();
});
afterAll(async () => {
  await s?.close();
});
afterEach(() => {
  s.hearth.settings.set({
    'logs.maxDays': 5,
    'logs.minLevel': 0,
    'logs.logIP': true,
    'logs.logAuthId': false,
    'trustedProxy.headers': [],
    'http.maxBodySize': 32 * 1024 * 1024,
  });
});

/** A filter for the entries whose URL holds `marker`, leaving out the logs API's own requests. */
const about = (marker: string): string =>
  s.admin.filter('data.url ~ {:marker} && data.url !~ "/api/logs"', { marker });

/** The entries whose URL holds `marker`, oldest first. */
async function entriesFor(marker: string): Promise<LogModel[]> {
  return (await s.admin.logs.getList(1, 100, { filter: about(marker), sort: 'rowid' })).items;
}

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${s.url}${path}`, { headers });
  await res.arrayBuffer();
  return res;
}

describe('request entries', () => {
  test('a successful request: INFO, PocketBase message and data', async () => {
    const m = unique('ok');
    const res = await get(`/api/collections/users/auth-methods?m=${m}`, {
      'user-agent': 'logs-test/1.0',
      referer: 'http://x.example/',
    });
    expect(res.status).toBe(200);
    const [entry, ...more] = await entriesFor(m);
    expect(more).toEqual([]);
    expect(entry!.id).toMatch(/^[a-z0-9]{15}$/);
    expect(entry!.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(entry!.level).toBe(0);
    expect(entry!.message).toBe(`GET /api/collections/users/auth-methods?m=${m}`);
    expect(entry!.data).toEqual({
      type: 'request',
      execTime: expect.any(Number),
      url: `/api/collections/users/auth-methods?m=${m}`,
      method: 'GET',
      status: 200,
      referer: 'http://x.example/',
      userAgent: 'logs-test/1.0',
      auth: '',
      userIP: '127.0.0.1',
      remoteIP: '127.0.0.1',
    });
    expect(entry!.data['execTime']).toBeGreaterThan(0);
  });

  // PocketBase's SkipSuccessActivityLog: a load balancer's health probes every few seconds are noise.
  test('successful health checks are not logged', async () => {
    const m = unique('skip');
    expect((await get(`/api/health?m=${m}`)).status).toBe(200);
    expect((await get(`/api/collections/users/auth-methods?m=${m}`)).status).toBe(200);
    const urls = (await entriesFor(m)).map((e) => e.data['url']);
    expect(urls).toEqual([`/api/collections/users/auth-methods?m=${m}`]);
  });

  test('the auth collection of the signed-in record; authId only with logs.logAuthId', async () => {
    const m = unique('auth');
    const { client, record } = await s.signUp();
    await client.send(`/api/collections/users/auth-methods?m=${m}&who=user`, {});
    await s.admin.send(`/api/collections/users/auth-methods?m=${m}&who=admin`, {});
    s.hearth.settings.set({ 'logs.logAuthId': true });
    await client.send(`/api/collections/users/auth-methods?m=${m}&who=user2`, {});
    const entries = await entriesFor(m);
    expect(entries.map((e) => [e.data['auth'], e.data['authId']])).toEqual([
      ['users', undefined],
      ['_superusers', undefined],
      ['users', record.id],
    ]);
  });

  test('failures: ERROR, with status, error and details (404, 400 from a handler, 401)', async () => {
    const m = unique('fail');
    expect((await get(`/api/nowhere?m=${m}`)).status).toBe(404);
    const bad = await fetch(`${s.url}/api/collections/users/auth-with-password?m=${m}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"identity": "x@example.com"}',
    });
    expect(bad.status).toBe(400);
    expect((await get(`/api/settings?m=${m}`)).status).toBe(401);
    const entries = await entriesFor(m);
    expect(entries.map((e) => [e.level, e.data['method'], e.data['status']])).toEqual([
      [8, 'GET', 404],
      [8, 'POST', 400],
      [8, 'GET', 401],
    ]);
    expect(entries[0]!.data['error']).toBe("The requested resource wasn't found.");
    expect(entries[1]!.data['details']).toMatchObject({ password: { code: 'validation_required' } });
  });

  test('a body refused by the body limit (413) is logged too', async () => {
    s.hearth.settings.set({ 'http.maxBodySize': 1024 });
    const m = unique('big');
    const res = await fetch(`${s.url}/api/collections/users/records?m=${m}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'x'.repeat(4000) }),
    });
    expect(res.status).toBe(413);
    const [entry] = await entriesFor(m);
    expect(entry).toMatchObject({ level: 8, data: { method: 'POST', status: 413 } });
  });

  test('secrets in the query and the referer are redacted', async () => {
    const m = unique('secret');
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.s3cr3t';
    await get(`/api/files/users/abc/a.png?m=${m}&thumb=10x10&token=${secret}`, {
      referer: `http://x.example/auth/reset-password?token=${secret}&lang=de`,
    });
    const [entry] = await entriesFor(m);
    expect(entry!.data['url']).toBe(`/api/files/users/abc/a.png?m=${m}&thumb=10x10&token=[redacted]`);
    expect(entry!.data['referer']).toBe('http://x.example/auth/reset-password?token=[redacted]&lang=de');
    expect(JSON.stringify(entry)).not.toContain('s3cr3t');
  });

  test('userIP as trustedProxy resolves it; remoteIP is the connection; none with logs.logIP off', async () => {
    const m = unique('ip');
    await get(`/api/collections/users/auth-methods?m=${m}&n=1`, { 'x-forwarded-for': '203.0.113.9' });
    s.hearth.settings.set({ 'trustedProxy.headers': ['X-Forwarded-For'] });
    await get(`/api/collections/users/auth-methods?m=${m}&n=2`, { 'x-forwarded-for': '203.0.113.9' });
    s.hearth.settings.set({ 'logs.logIP': false });
    await get(`/api/collections/users/auth-methods?m=${m}&n=3`, { 'x-forwarded-for': '203.0.113.9' });
    const entries = await entriesFor(m);
    expect(entries.map((e) => [e.data['userIP'], e.data['remoteIP']])).toEqual([
      ['127.0.0.1', '127.0.0.1'], // the header is not trusted unless configured
      ['203.0.113.9', '127.0.0.1'],
      [undefined, undefined],
    ]);
  });

  test('logs.minLevel 8 keeps only failed requests, from the next request on', async () => {
    const m = unique('level');
    await s.admin.settings.update({ logs: { minLevel: 8 } });
    await get(`/api/collections/users/auth-methods?m=${m}&n=ok`);
    await get(`/api/nowhere?m=${m}&n=fail`);
    await s.admin.settings.update({ logs: { minLevel: 0 } });
    await get(`/api/collections/users/auth-methods?m=${m}&n=ok-again`);
    expect((await entriesFor(m)).map((e) => e.data['url'])).toEqual([
      `/api/nowhere?m=${m}&n=fail`,
      `/api/collections/users/auth-methods?m=${m}&n=ok-again`,
    ]);
  });

  test('logs.maxDays 0 keeps nothing: what was kept goes at once, nothing new is written', async () => {
    const m = unique('off');
    await get(`/api/collections/users/auth-methods?m=${m}&n=before`);
    expect(await entriesFor(m)).toHaveLength(1);
    await s.admin.settings.update({ logs: { maxDays: 0 } });
    await get(`/api/collections/users/auth-methods?m=${m}&n=off`);
    await get(`/api/nowhere?m=${m}&n=off`);
    expect((await s.admin.logs.getList(1, 1)).totalItems).toBe(0);
    await s.admin.settings.update({ logs: { maxDays: 5 } });
    await get(`/api/collections/users/auth-methods?m=${m}&n=on`);
    expect((await entriesFor(m)).map((e) => e.data['url'])).toEqual([
      `/api/collections/users/auth-methods?m=${m}&n=on`,
    ]);
  });

  test('settings in PocketBase shape; bad values → 400', async () => {
    const settings = (await s.admin.settings.getAll()) as { logs: unknown };
    expect(settings.logs).toEqual({ maxDays: 5, minLevel: 0, logIP: true, logAuthId: false });
    const err = await failure(s.admin.settings.update({ logs: { maxDays: -1 } }));
    expect(err.status).toBe(400);
    expect(err.response['data']).toMatchObject({ logs: { maxDays: { code: 'validation_invalid_value' } } });
  });
});

describe('the logs API', () => {
  test('getList: filter on data.status and method, sort, paging, skipTotal', async () => {
    const m = unique('list');
    for (let i = 0; i < 3; i++) await get(`/api/collections/users/auth-methods?m=${m}&i=${i}`);
    await fetch(`${s.url}/api/nowhere?m=${m}`, { method: 'POST' });
    await get(`/api/nowhere?m=${m}`);
    const marker = about(m);
    const failed = await s.admin.logs.getList(1, 10, {
      filter: `${marker} && data.status >= 400 && data.method = "POST"`,
    });
    expect(failed.totalItems).toBe(1);
    expect(failed.items[0]!.message).toBe(`POST /api/nowhere?m=${m}`);
    const page = await s.admin.logs.getList(2, 2, { filter: marker, sort: '-rowid' });
    expect(page).toMatchObject({ page: 2, perPage: 2, totalItems: 5, totalPages: 3 });
    expect(page.items.map((e) => e.data['url'])).toEqual([
      `/api/collections/users/auth-methods?m=${m}&i=2`,
      `/api/collections/users/auth-methods?m=${m}&i=1`,
    ]);
    const skipped = await s.admin.logs.getList(1, 2, { filter: marker, skipTotal: true });
    expect(skipped).toMatchObject({ totalItems: -1, totalPages: -1 });
    expect(skipped.items).toHaveLength(2);
  });

  test('getOne: the entry; an unknown id → 404', async () => {
    const m = unique('one');
    await get(`/api/collections/users/auth-methods?m=${m}`);
    const [entry] = await entriesFor(m);
    expect(await s.admin.logs.getOne(entry!.id)).toEqual(entry);
    const err = await failure(s.admin.logs.getOne('nosuchlogentry'));
    expect(err.status).toBe(404);
    expect(err.response).toEqual({ status: 404, message: "The requested resource wasn't found.", data: {} });
  });

  test('getStats: totals per hour, oldest first, in PocketBase date format, filtered', async () => {
    const m = unique('stats');
    // Entries from other hours are written as any capability would write them, then read back
    // through the API.
    const row = (created: string, status: number) => ({
      id: unique('s')
        .replace(/[^a-z0-9]/g, '')
        .slice(-15),
      created,
      level: status >= 400 ? 8 : 0,
      message: `GET /x?m=${m}`,
      data: JSON.stringify({ type: 'request', url: `/x?m=${m}`, status }),
    });
    s.hearth.logs.store.insert([
      row('2020-01-02 03:04:05.678Z', 200),
      row('2020-01-02 03:59:59.999Z', 500),
      row('2020-01-02 05:00:00.000Z', 200),
    ]);
    await get(`/api/collections/users/auth-methods?m=${m}`);
    const filter = about(m);
    const hour = `${formatDateTime(new Date()).slice(0, 13)}:00:00.000Z`;
    expect(await s.admin.logs.getStats({ filter })).toEqual([
      { total: 2, date: '2020-01-02 03:00:00.000Z' },
      { total: 1, date: '2020-01-02 05:00:00.000Z' },
      { total: 1, date: hour },
    ]);
    expect(await s.admin.logs.getStats({ filter: `${filter} && data.status >= 400` })).toEqual([
      { total: 1, date: '2020-01-02 03:00:00.000Z' },
    ]);
    const all = await s.admin.logs.getStats();
    expect(all.reduce((n, x) => n + x.total, 0)).toBeGreaterThan(4);
  });

  describe('superusers only', () => {
    const calls: [string, (pb: PocketBase) => Promise<unknown>][] = [
      ['getList', (pb) => pb.logs.getList(1, 1)],
      ['getStats', (pb) => pb.logs.getStats()],
      ['getOne', (pb) => pb.logs.getOne('anything')],
    ];
    test.each(calls)('%s: anonymous 401, a user 403', async (_, call) => {
      expect((await failure(call(s.newClient()))).status).toBe(401);
      const { client } = await s.signUp();
      const err = await failure(call(client));
      expect(err.status).toBe(403);
      expect(err.response).toMatchObject({ status: 403, data: {} });
    });
  });

  // QUALITY.md "filter" row: injection attempts, 10 000-character filters, deep nesting → 400 with a
  // clear message, never a 500 or a leak.
  const badFilters: [string, string][] = [
    ['unknown field', 'nope = 1'],
    ['syntax', 'data.status >= '],
    ['quote break-out', `data.method = "GET" || 1=1) --`],
    ['statement injection', "id = ''; DROP TABLE _logs; --"],
    ['SQL in a data path', "data.x') OR 1=1 -- = 1"],
    ['another table', '@collection._superusers.email != ""'],
    ['request data', '@request.auth.id = ""'],
    ['10 000 characters', `data.url ~ "${'a'.repeat(10_000)}"`],
    ['deep nesting', `${'('.repeat(500)}level = 0${')'.repeat(500)}`],
    ['too many expressions', Array.from({ length: 300 }, (_, i) => `level = ${i}`).join(' || ')],
  ];
  test.each(badFilters)(
    'bad filter (%s) → 400 PocketBase error JSON on list and stats',
    async (_, filter) => {
      const list = await failure(s.admin.logs.getList(1, 10, { filter }));
      expect(list.status).toBe(400);
      expect(list.response).toEqual({
        status: 400,
        message: expect.stringMatching(/^Invalid filter/),
        data: {},
      });
      const stats = await failure(s.admin.logs.getStats({ filter }));
      expect(stats.status).toBe(400);
      expect(JSON.stringify(stats.response)).not.toMatch(/SQLITE|SELECT|json_extract|stack/i);
    },
  );

  test('bad sort or paging → 400; the table is still there after all of it', async () => {
    expect((await failure(s.admin.logs.getList(1, 10, { sort: 'nope' }))).status).toBe(400);
    expect((await failure(s.admin.logs.getList(1, 10, { sort: 'id;DROP TABLE _logs' }))).status).toBe(400);
    expect((await failure(s.admin.send('/api/logs', { query: { page: 'x' } }))).status).toBe(400);
    expect((await s.admin.logs.getList(1, 1)).totalItems).toBeGreaterThan(0);
  });
});
