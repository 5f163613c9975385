import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { saveCollection } from '../collections/collections.service';
import { DATABASE_FILE } from '../main';
import { superuserHeaders, testHearth, withSuperuser, type TestHearth } from '../testing/hearth';
import { cacheable, ListCache } from './records.cache';

/** The list cache must never answer with data older than the database. */
describe('list cache', () => {
  let h: TestHearth;
  const list = async (query = '', headers: Record<string, string> = {}) => {
    const res = await h.api.request(`/api/collections/memos/records?skipTotal=1${query}`, { headers });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: { title: string }[] }).items.map((i) => i.title);
  };
  const create = (title: string) =>
    h.api.request('/api/collections/memos/records', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });

  beforeEach(async () => {
    h = testHearth();
    await withSuperuser(h);
    saveCollection(h, {
      name: 'memos',
      fields: [{ name: 'title', type: 'text' }],
      listRule: '',
      createRule: '',
      updateRule: '',
    });
  });
  afterEach(() => h.cleanup());

  test('a write through the API shows in the next list', async () => {
    expect(await list()).toEqual([]);
    expect((await create('one')).status).toBe(200);
    expect(await list()).toEqual(['one']);
    expect(await list()).toEqual(['one']);
  });

  test('a write by another connection (a CLI, another process) shows too', async () => {
    expect(await list()).toEqual([]);
    const other = new BetterSqlite3(join(h.dir, DATABASE_FILE));
    try {
      other.prepare("INSERT INTO memos (id, title) VALUES ('fromanotherproc', 'other')").run();
    } finally {
      other.close();
    }
    // Another process's commit is noticed within a millisecond (Database.dataVersion).
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await list()).toEqual(['other']);
  });

  test('a rule change shows at once', async () => {
    await create('one');
    expect(await list()).toEqual(['one']);
    saveCollection(h, { listRule: 'title = "two"' }, h.collections.find('memos'));
    expect(await list()).toEqual([]);
  });

  test('answers differ per signed-in record', async () => {
    await create('one');
    saveCollection(h, { listRule: '@request.auth.id != ""' }, h.collections.find('memos'));
    expect(await list()).toEqual([]);
    expect(await list('', await superuserHeaders(h))).toEqual(['one']);
    expect(await list()).toEqual([]);
  });

  test.each([
    ['a rule reading request headers', '@request.headers.x_team = "a"', '', '', '', false],
    ['a date macro', 'created > @now', '', '', '', false],
    ['the clock through strftime', "until > strftime('%Y-%m-%d', 'now')", '', '', '', false],
    ['@random', '', '', '@random', '', false],
    ['expand', '', '', '', 'author', false],
    [
      'auth and collection lookups',
      '@request.auth.id != "" && @collection.x.id != ""',
      'a = 1',
      '-@rowid',
      '',
      true,
    ],
  ])('cacheable: %s', (_name, rule, filter, sort, expand, expected) => {
    const collection = { ...h.collections.find('memos')!, listRule: rule };
    expect(cacheable(collection, filter, sort, expand)).toBe(expected);
    expect(cacheable({ ...collection, type: 'view' }, filter, sort, expand)).toBe(false);
  });

  test('an answer computed while another process committed is not kept', async () => {
    const cache = new ListCache(h.db);
    const before = cache.stamp();
    const other = new BetterSqlite3(join(h.dir, DATABASE_FILE));
    try {
      other.prepare("INSERT INTO memos (id, title) VALUES ('fromanotherproc', 'other')").run();
    } finally {
      other.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    cache.set('k', 'stale', before);
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', 'fresh', cache.stamp());
    expect(cache.get('k')).toBe('fresh');
  });
});
