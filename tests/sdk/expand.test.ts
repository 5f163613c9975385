import type { CollectionModel, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, startSdkServer, unique, type SdkServer } from './server';

// Expand as pocketbase/pocketbase core/record_query_expand.go does it: single relations expand to an
// object, multi relations and back-relations (<collection>_via_<field>) to arrays, dot paths go
// deeper, the related collection's viewRule applies, unknown paths are ignored.

let s: SdkServer;
let authors: CollectionModel;
let tags: CollectionModel;
let posts: CollectionModel;
let comments: CollectionModel;
let vault: CollectionModel;
const rec: Record<string, RecordModel> = {};

type Expanded = Record<string, unknown> & { expand?: Record<string, unknown> };

beforeAll(async () => {
  s = await startSdkServer();
  authors = await createCollection(s.admin, unique('authors'), [{ name: 'name', type: 'text' }]);
  tags = await createCollection(s.admin, unique('tags'), [{ name: 'label', type: 'text' }]);
  vault = await createCollection(s.admin, unique('vault'), [{ name: 'code', type: 'text' }], {
    listRule: null,
    viewRule: null,
  });
  posts = await createCollection(s.admin, unique('posts'), [
    { name: 'title', type: 'text' },
    { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
    { name: 'tags', type: 'relation', collectionId: tags.id, maxSelect: 10 },
    { name: 'locked', type: 'relation', collectionId: vault.id, maxSelect: 1 },
  ]);
  comments = await createCollection(s.admin, unique('comments'), [
    { name: 'text', type: 'text' },
    { name: 'post', type: 'relation', collectionId: posts.id, maxSelect: 1 },
    { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1 },
  ]);
  const c = (col: CollectionModel, data: Record<string, unknown>) =>
    s.admin.collection(col.name).create(data);
  rec['ann'] = await c(authors, { name: 'Ann' });
  rec['bob'] = await c(authors, { name: 'Bob' });
  rec['t1'] = await c(tags, { label: 'one' });
  rec['t2'] = await c(tags, { label: 'two' });
  rec['v'] = await c(vault, { code: 'top-secret' });
  rec['p1'] = await c(posts, {
    title: 'first',
    author: rec['ann']!.id,
    tags: [rec['t2']!.id, rec['t1']!.id],
    locked: rec['v']!.id,
  });
  rec['p2'] = await c(posts, { title: 'second', author: rec['bob']!.id });
  rec['c1'] = await c(comments, { text: 'c1', post: rec['p1']!.id, author: rec['bob']!.id });
  rec['c2'] = await c(comments, { text: 'c2', post: rec['p1']!.id, author: rec['ann']!.id });
  rec['c3'] = await c(comments, { text: 'c3', post: rec['p2']!.id, author: rec['ann']!.id });
});
afterAll(async () => {
  await s?.close();
});

const id = (name: string) => rec[name]!.id;
const get = async (col: CollectionModel, name: string, expand: string, pb = s.newClient()) =>
  (await pb.collection(col.name).getOne(id(name), { expand })) as Expanded;

describe('forward relations', () => {
  test('a single relation expands to the related record', async () => {
    const p = await get(posts, 'p1', 'author');
    expect(p['author']).toBe(id('ann')); // the field keeps the id
    expect(p.expand?.['author']).toMatchObject({
      id: id('ann'),
      name: 'Ann',
      collectionId: authors.id,
      collectionName: authors.name,
    });
  });

  test('a multi relation expands to an array in the stored order', async () => {
    const p = await get(posts, 'p1', 'tags');
    const expanded = p.expand?.['tags'] as RecordModel[];
    expect(expanded.map((t) => t['label'])).toEqual(['two', 'one']);
  });

  test('several paths at once', async () => {
    const p = await get(posts, 'p1', 'author,tags');
    expect(Object.keys(p.expand ?? {}).sort()).toEqual(['author', 'tags']);
  });

  test('two levels: comment → post → author', async () => {
    const c = await get(comments, 'c1', 'post.author,author');
    const post = c.expand?.['post'] as Expanded;
    expect(post).toMatchObject({ id: id('p1'), title: 'first' });
    expect(post.expand?.['author']).toMatchObject({ id: id('ann'), name: 'Ann' });
    expect(c.expand?.['author']).toMatchObject({ id: id('bob') });
  });

  test('works on lists too', async () => {
    const list = await s.newClient().collection(comments.name).getFullList({ expand: 'post', sort: 'text' });
    const postIds = list.map((c) => ((c as Expanded).expand?.['post'] as RecordModel | undefined)?.id);
    expect(postIds).toEqual([id('p1'), id('p1'), id('p2')]);
  });

  test('without expand there is no expand key', async () => {
    const p = (await s.newClient().collection(posts.name).getOne(id('p1'))) as Expanded;
    expect(p.expand === undefined || Object.keys(p.expand).length === 0).toBe(true);
  });
});

describe('back-relations', () => {
  test('posts expand comments_via_post to the comments pointing at them', async () => {
    const p = await get(posts, 'p1', `${comments.name}_via_post`);
    const list = p.expand?.[`${comments.name}_via_post`] as RecordModel[];
    expect(list.map((c) => c['text']).sort()).toEqual(['c1', 'c2']);
  });

  test('a back-relation, then a forward relation from each item', async () => {
    const p = await get(posts, 'p1', `${comments.name}_via_post.author`);
    const list = p.expand?.[`${comments.name}_via_post`] as Expanded[];
    const authorsByText = Object.fromEntries(
      list.map((c) => [c['text'], (c.expand?.['author'] as RecordModel | undefined)?.['name']]),
    );
    expect(authorsByText).toEqual({ c1: 'Bob', c2: 'Ann' });
  });

  test('authors expand the posts they wrote and those posts expand their tags', async () => {
    const a = await get(authors, 'ann', `${posts.name}_via_author.tags`);
    const written = a.expand?.[`${posts.name}_via_author`] as Expanded[];
    expect(written.map((p) => p['title'])).toEqual(['first']);
    expect((written[0]!.expand?.['tags'] as RecordModel[]).map((t) => t['label'])).toEqual(['two', 'one']);
  });

  test('two back-relations at once; a record nothing points at gets no entry', async () => {
    const a = await get(authors, 'bob', `${posts.name}_via_author,${comments.name}_via_author`);
    expect((a.expand?.[`${posts.name}_via_author`] as RecordModel[]).map((p) => p['title'])).toEqual([
      'second',
    ]);
    expect((a.expand?.[`${comments.name}_via_author`] as RecordModel[]).map((c) => c['text'])).toEqual([
      'c1',
    ]);
    const lonely = await s.admin.collection(authors.name).create({ name: 'Cy' });
    const c = (await s
      .newClient()
      .collection(authors.name)
      .getOne(lonely.id, { expand: `${posts.name}_via_author` })) as Expanded;
    expect(c.expand?.[`${posts.name}_via_author`]).toBeUndefined();
  });
});

describe('rules and bad paths', () => {
  test('the related collection viewRule applies: locked records are not expanded for others', async () => {
    const anonView = await get(posts, 'p1', 'locked,author');
    expect(anonView.expand?.['locked']).toBeUndefined();
    expect(anonView.expand?.['author']).toMatchObject({ name: 'Ann' });
    expect(JSON.stringify(anonView)).not.toContain('top-secret');
    const adminView = await get(posts, 'p1', 'locked', s.admin);
    expect(adminView.expand?.['locked']).toMatchObject({ code: 'top-secret' });
  });

  test('an unknown path is ignored: 200 and no expand entry', async () => {
    const p = await get(posts, 'p1', 'nosuchfield,author.nosuch,title');
    expect(p['title']).toBe('first');
    expect(p.expand?.['nosuchfield']).toBeUndefined();
    expect(p.expand?.['title']).toBeUndefined();
  });

  test('fields can pick inside expand', async () => {
    const p = (await s
      .newClient()
      .collection(posts.name)
      .getOne(id('p1'), { expand: 'author', fields: 'id,expand.author.name' })) as Expanded;
    expect(p).toEqual({ id: id('p1'), expand: { author: { name: 'Ann' } } });
  });
});
