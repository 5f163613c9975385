import type { CollectionModel, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, fieldCode, startSdkServer, unique, type SdkServer } from './server';

// Update modifiers (pocketbase/pocketbase core/field_number.go, field_select.go, field_relation.go
// FindSetter): `field+` appends or adds, `+field` prepends, `field-` removes or subtracts. Values stay
// unique and are validated after the change.

let s: SdkServer;
let refs: CollectionModel;
let boxes: CollectionModel;
const r: RecordModel[] = [];

beforeAll(async () => {
  s = await startSdkServer();
  refs = await createCollection(s.admin, unique('refs'), [{ name: 'n', type: 'number' }]);
  for (let i = 0; i < 4; i++) r.push(await s.admin.collection(refs.name).create({ n: i }));
  boxes = await createCollection(s.admin, unique('boxes'), [
    { name: 'views', type: 'number' },
    { name: 'score', type: 'number', max: 100 },
    { name: 'tags', type: 'select', values: ['a', 'b', 'c', 'd', 'e'], maxSelect: 4 },
    { name: 'links', type: 'relation', collectionId: refs.id, maxSelect: 3 },
  ]);
});
afterAll(async () => {
  await s?.close();
});

const box = (data: Record<string, unknown>) => s.admin.collection(boxes.name).create(data);
const update = (id: string, data: Record<string, unknown>) =>
  s.newClient().collection(boxes.name).update(id, data);
const ids = (...n: number[]) => n.map((i) => r[i]!.id);

describe('numbers', () => {
  test('field+ adds and field- subtracts', async () => {
    const b = await box({ views: 10 });
    expect((await update(b.id, { 'views+': 5 }))['views']).toBe(15);
    expect((await update(b.id, { 'views-': 20 }))['views']).toBe(-5);
    expect((await update(b.id, { 'views+': 0.5 }))['views']).toBe(-4.5);
    expect((await s.admin.collection(boxes.name).getOne(b.id))['views']).toBe(-4.5);
  });

  test('the plain value is applied before the modifier', async () => {
    const b = await box({ views: 1 });
    expect((await update(b.id, { views: 100, 'views+': 1 }))['views']).toBe(101);
  });

  test('the result is validated: going over max → 400 and the value is unchanged', async () => {
    const b = await box({ score: 95 });
    const err = await failure(update(b.id, { 'score+': 10 }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'score')).toBe('validation_max_number_constraint');
    expect((await s.admin.collection(boxes.name).getOne(b.id))['score']).toBe(95);
  });

  test('modifiers work on create, starting from the zero value', async () => {
    const b = await box({ 'views+': 3, 'tags+': ['b'] });
    expect(b).toMatchObject({ views: 3, tags: ['b'] });
  });
});

describe('multi select', () => {
  test('tags+ appends, +tags prepends, tags- removes', async () => {
    const b = await box({ tags: ['b'] });
    expect((await update(b.id, { 'tags+': 'c' }))['tags']).toEqual(['b', 'c']);
    expect((await update(b.id, { '+tags': ['a'] }))['tags']).toEqual(['a', 'b', 'c']);
    expect((await update(b.id, { 'tags-': ['b', 'e'] }))['tags']).toEqual(['a', 'c']);
    expect((await s.admin.collection(boxes.name).getOne(b.id))['tags']).toEqual(['a', 'c']);
  });

  test('appending a value already there keeps the values unique', async () => {
    const b = await box({ tags: ['a', 'b'] });
    expect((await update(b.id, { 'tags+': ['b', 'c'] }))['tags']).toEqual(['a', 'b', 'c']);
  });

  test('appending past maxSelect → validation_too_many_values, unchanged', async () => {
    const b = await box({ tags: ['a', 'b', 'c'] });
    const err = await failure(update(b.id, { 'tags+': ['d', 'e'] }));
    expect(fieldCode(err, 'tags')).toBe('validation_too_many_values');
    expect((await s.admin.collection(boxes.name).getOne(b.id))['tags']).toEqual(['a', 'b', 'c']);
  });

  test('appending a value not in values → validation_invalid_value', async () => {
    const b = await box({ tags: ['a'] });
    const err = await failure(update(b.id, { 'tags+': 'zzz' }));
    expect(fieldCode(err, 'tags')).toBe('validation_invalid_value');
  });

  test('removing everything leaves an empty list', async () => {
    const b = await box({ tags: ['a', 'd'] });
    expect((await update(b.id, { 'tags-': ['a', 'd'] }))['tags']).toEqual([]);
  });
});

describe('multi relation', () => {
  test('links+ appends, +links prepends, links- removes', async () => {
    const b = await box({ links: ids(1) });
    expect((await update(b.id, { 'links+': r[2]!.id }))['links']).toEqual(ids(1, 2));
    expect((await update(b.id, { '+links': ids(0) }))['links']).toEqual(ids(0, 1, 2));
    expect((await update(b.id, { 'links-': ids(1) }))['links']).toEqual(ids(0, 2));
  });

  test('appending an id that does not exist → validation_missing_rel_records', async () => {
    const b = await box({ links: ids(0) });
    const err = await failure(update(b.id, { 'links+': 'nosuchrecord000' }));
    expect(fieldCode(err, 'links')).toBe('validation_missing_rel_records');
    expect((await s.admin.collection(boxes.name).getOne(b.id))['links']).toEqual(ids(0));
  });

  test('appending past maxSelect → validation_too_many_values', async () => {
    const b = await box({ links: ids(0, 1, 2) });
    const err = await failure(update(b.id, { 'links+': ids(3) }));
    expect(fieldCode(err, 'links')).toBe('validation_too_many_values');
  });
});

describe('in multipart bodies (as the SDK sends them with files)', () => {
  test('modifier keys inside @jsonPayload apply', async () => {
    const b = await box({ views: 1, tags: ['a'] });
    const form = new FormData();
    form.append('@jsonPayload', JSON.stringify({ 'views+': 2, 'tags+': ['c'] }));
    const updated = await s.admin.collection(boxes.name).update(b.id, form);
    expect(updated).toMatchObject({ views: 3, tags: ['a', 'c'] });
  });
});
