import type { CollectionModel, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, send, startSdkServer, unique, type SdkServer } from './server';

// List parameters as pocketbase/pocketbase tools/search/provider.go and tools/picker handle them:
// page (1), perPage (30, max 1000), sort (≤ 8, -field, @random, @rowid), filter, fields (* and
// :excerpt), skipTotal (-1/-1); the SDK's getFullList and getFirstListItem on top.

const COUNT = 45;
let s: SdkServer;
let items: CollectionModel;
let seeded: RecordModel[];

const pad = (i: number) => String(i).padStart(2, '0');

beforeAll(async () => {
  s = await startSdkServer();
  items = await createCollection(s.admin, unique('items'), [
    { name: 'title', type: 'text' },
    { name: 'n', type: 'number' },
    { name: 'parity', type: 'select', values: ['even', 'odd'], maxSelect: 1 },
    { name: 'labels', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
    { name: 'body', type: 'editor' },
  ]);
  seeded = [];
  // Sequential, so insertion order (@rowid) is known.
  for (let i = 0; i < COUNT; i++) {
    seeded.push(
      await s.admin.collection(items.name).create({
        title: `item-${pad(i)}`,
        n: (i * 7) % COUNT, // a permutation of 0..44, so n order differs from insertion order
        parity: i % 2 === 0 ? 'even' : 'odd',
        labels: i % 3 === 0 ? ['a', 'b'] : ['c'],
        body: `<p>Hello <b>wonderful</b> world number ${i}</p>`,
      }),
    );
  }
}, 120_000);
afterAll(async () => {
  await s?.close();
});

const list = (query: Record<string, unknown>) =>
  send(s.admin, `/api/collections/${items.name}/records`, { query });

describe('paging', () => {
  test('defaults: page 1, perPage 30, totals counted', async () => {
    const r = await list({});
    expect(r).toMatchObject({ page: 1, perPage: 30, totalItems: COUNT, totalPages: 2 });
    expect(r['items']).toHaveLength(30);
  });

  test('page 2 holds the rest, and pages do not overlap', async () => {
    const p1 = await s.admin.collection(items.name).getList(1, 30, { sort: 'n' });
    const p2 = await s.admin.collection(items.name).getList(2, 30, { sort: 'n' });
    expect(p2).toMatchObject({ page: 2, perPage: 30, totalItems: COUNT, totalPages: 2 });
    expect(p2.items).toHaveLength(COUNT - 30);
    const ids = new Set([...p1.items, ...p2.items].map((x) => x.id));
    expect(ids.size).toBe(COUNT);
  });

  test('a page past the end is empty', async () => {
    const r = await s.admin.collection(items.name).getList(9, 30);
    expect(r).toMatchObject({ page: 9, items: [], totalItems: COUNT });
  });

  test.each([
    { perPage: 5000, expected: 1000 },
    { perPage: 1000, expected: 1000 },
    { perPage: 0, expected: 30 },
    { perPage: -4, expected: 30 },
  ])('perPage $perPage is served as $expected', async ({ perPage, expected }) => {
    const r = await list({ perPage });
    expect(r['perPage']).toBe(expected);
    expect(r['items']).toHaveLength(Math.min(expected, COUNT));
  });

  test('page 0 or below is page 1', async () => {
    expect((await list({ page: 0 }))['page']).toBe(1);
    expect((await list({ page: -3 }))['page']).toBe(1);
  });

  test('skipTotal answers totalItems and totalPages as -1', async () => {
    const r = await s.admin.collection(items.name).getList(1, 10, { skipTotal: true });
    expect(r).toMatchObject({ page: 1, perPage: 10, totalItems: -1, totalPages: -1 });
    expect(r.items).toHaveLength(10);
  });
});

describe('sort', () => {
  test('ascending and -descending', async () => {
    const asc = await s.admin.collection(items.name).getFullList({ sort: 'n' });
    expect(asc.map((x) => x['n'])).toEqual([...Array(COUNT).keys()]);
    const desc = await s.admin.collection(items.name).getFullList({ sort: '-n' });
    expect(desc.map((x) => x['n'])).toEqual([...Array(COUNT).keys()].reverse());
  });

  test('several fields', async () => {
    const r = await s.admin.collection(items.name).getFullList({ sort: 'parity,-title' });
    const expected = [...seeded]
      .sort((a, b) =>
        a['parity'] === b['parity']
          ? String(b['title']).localeCompare(String(a['title']))
          : String(a['parity']).localeCompare(String(b['parity'])),
      )
      .map((x) => x.id);
    expect(r.map((x) => x.id)).toEqual(expected);
  });

  test('@rowid is insertion order, -@rowid its reverse', async () => {
    const r = await s.admin.collection(items.name).getFullList({ sort: '@rowid' });
    expect(r.map((x) => x.id)).toEqual(seeded.map((x) => x.id));
    const back = await s.admin.collection(items.name).getFullList({ sort: '-@rowid' });
    expect(back.map((x) => x.id)).toEqual(seeded.map((x) => x.id).reverse());
  });

  test('@random returns every item, in an order that changes', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await s.admin.collection(items.name).getFullList({ sort: '@random' });
      expect(new Set(r.map((x) => x.id)).size).toBe(COUNT);
      orders.add(r.map((x) => x.id).join());
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  test('more than 8 sort fields → 400', async () => {
    const err = await failure(list({ sort: 'n,title,id,parity,body,labels,-n,-title,-id' }));
    expect(err.status).toBe(400);
  });
});

describe('filter', () => {
  const filtered = async (filter: string) =>
    (await s.admin.collection(items.name).getFullList({ filter, sort: 'title' })).map((x) => x['title']);

  test('pb.filter() binds values safely', async () => {
    const f = s.admin.filter('n >= {:min} && n < {:max} && parity = {:p}', { min: 10, max: 20, p: 'even' });
    const r = await s.admin.collection(items.name).getFullList({ filter: f });
    expect(r.length).toBeGreaterThan(0);
    for (const x of r) {
      expect(Number(x['n'])).toBeGreaterThanOrEqual(10);
      expect(Number(x['n'])).toBeLessThan(20);
      expect(x['parity']).toBe('even');
    }
    const quoted = s.admin.filter('title = {:t}', { t: 'item-"07" || 1=1' });
    expect(await filtered(quoted)).toEqual([]);
  });

  test.each([
    ['title = "item-03"', ['item-03']],
    [
      'title != "item-03" && title ~ "item-0"',
      ['item-00', 'item-01', 'item-02', 'item-04', 'item-05', 'item-06', 'item-07', 'item-08', 'item-09'],
    ],
    ['title ~ "item-4"', ['item-40', 'item-41', 'item-42', 'item-43', 'item-44']],
    ['title ~ "item-4%" && title !~ "%3"', ['item-40', 'item-41', 'item-42', 'item-44']],
    ['n > 42', [43, 44]],
    ['n >= 43 || n <= 0', [0, 43, 44]],
    ['(n < 2 || n > 43) && parity = "even"', null],
    ['labels ?= "a" && n < 7', null],
    ['labels = "c" && n < 3', null],
    ['labels != "a" && n < 9', null],
    ['labels ?!= "c" && n < 9', null],
    ['title = "item-01" // a comment', ['item-01']],
  ])('%s', async (filter, expected) => {
    const r = await s.admin.collection(items.name).getFullList({ filter, sort: 'title' });
    const model = seeded.filter((x) => matches(filter, x));
    if (expected === null) {
      expect(r.map((x) => x.id).sort()).toEqual(model.map((x) => x.id).sort());
      expect(r.length).toBeGreaterThan(0);
    } else if (typeof expected[0] === 'number') {
      expect(r.map((x) => x['n']).sort((a, b) => Number(a) - Number(b))).toEqual(expected);
    } else {
      expect(r.map((x) => x['title'])).toEqual(expected);
    }
  });
});

// The expected results of the filters above without an explicit list, computed here.
function matches(filter: string, x: RecordModel): boolean {
  const n = Number(x['n']);
  const labels = x['labels'] as string[];
  switch (filter) {
    case '(n < 2 || n > 43) && parity = "even"':
      return (n < 2 || n > 43) && x['parity'] === 'even';
    case 'labels ?= "a" && n < 7':
      return labels.includes('a') && n < 7;
    case 'labels = "c" && n < 3':
      // Without "?", a multi-valued field must match with all of its values.
      return labels.every((l) => l === 'c') && n < 3;
    case 'labels != "a" && n < 9':
      return labels.every((l) => l !== 'a') && n < 9;
    case 'labels ?!= "c" && n < 9':
      return labels.some((l) => l !== 'c') && n < 9;
    default:
      return false;
  }
}

describe('fields', () => {
  test('only the listed fields come back', async () => {
    const r = await list({ fields: 'id,title', perPage: 3 });
    expect(r).toMatchObject({ page: 1, perPage: 3, totalItems: COUNT });
    for (const item of r['items'] as Record<string, unknown>[])
      expect(Object.keys(item).sort()).toEqual(['id', 'title']);
  });

  test('getOne honours fields too', async () => {
    const one = await s.admin.collection(items.name).getOne(seeded[0]!.id, { fields: 'n' });
    expect(one).toEqual({ n: seeded[0]!['n'] });
  });

  test('* keeps every field; :excerpt(n,true) shortens one to plain text', async () => {
    const one = await s.admin
      .collection(items.name)
      .getOne(seeded[1]!.id, { fields: '*,body:excerpt(10,true)' });
    expect(one).toMatchObject({ id: seeded[1]!.id, title: 'item-01', collectionName: items.name });
    expect(one['body']).toBe('Hello wond...');
    const noEllipsis = await s.admin
      .collection(items.name)
      .getOne(seeded[1]!.id, { fields: 'body:excerpt(5)' });
    expect(noEllipsis).toEqual({ body: 'Hello' });
  });
});

describe('SDK helpers', () => {
  test('getFirstListItem returns the first match, 404 when there is none', async () => {
    const first = await s.admin.collection(items.name).getFirstListItem('n = 44');
    expect(first['n']).toBe(44);
    const err = await failure(s.admin.collection(items.name).getFirstListItem('n = 9999'));
    expect(err.status).toBe(404);
  });

  test('getFullList reads many pages (batch 10 over 45 items)', async () => {
    const all = await s.admin.collection(items.name).getFullList({ batch: 10, sort: '@rowid' });
    expect(all.map((x) => x.id)).toEqual(seeded.map((x) => x.id));
  });

  test('getFullList with its default batch of 1000 over 1 234 items', async () => {
    const big = await createCollection(s.admin, unique('big'), [{ name: 'i', type: 'number' }]);
    const total = 1234;
    for (let start = 0; start < total; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, total - start) }, (_, k) =>
          s.admin.collection(big.name).create({ i: start + k }),
        ),
      );
    }
    const all = await s.admin.collection(big.name).getFullList({ sort: 'i' });
    expect(all).toHaveLength(total);
    expect(all.map((x) => x['i'])).toEqual([...Array(total).keys()]);
  }, 120_000);
});
