import type { CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, fieldCode, startSdkServer, unique, type SdkServer } from './server';

// Every field type: what is stored and sent back, and the validation codes of pocketbase/pocketbase
// core/field_*.go (ozzo-validation codes for required, email, min/max dates).

const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let s: SdkServer;
let tags: CollectionModel;
let things: CollectionModel;
beforeAll(async () => {
  s = await startSdkServer();
  tags = await createCollection(s.admin, unique('tags'), [{ name: 'label', type: 'text' }]);
  things = await createCollection(s.admin, unique('things'), [
    { name: 'title', type: 'text', min: 2, max: 10, pattern: '^[a-z ]*$' },
    { name: 'code', type: 'text', autogeneratePattern: '[A-Z]{6}' },
    { name: 'count', type: 'number', min: 1, max: 100, onlyInt: true },
    { name: 'ratio', type: 'number' },
    { name: 'flag', type: 'bool' },
    { name: 'mail', type: 'email', onlyDomains: ['example.com'] },
    { name: 'site', type: 'url', exceptDomains: ['evil.test'] },
    { name: 'body', type: 'editor', maxSize: 50 },
    { name: 'when', type: 'date', min: '2000-01-01 00:00:00.000Z', max: '2100-01-01 00:00:00.000Z' },
    { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
    { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
    { name: 'color', type: 'select', values: ['red', 'green', 'blue'], maxSelect: 1 },
    { name: 'sizes', type: 'select', values: ['s', 'm', 'l', 'xl'], maxSelect: 2 },
    { name: 'meta', type: 'json', maxSize: 100 },
    { name: 'attachment', type: 'file', maxSelect: 1, maxSize: 1024 },
    { name: 'gallery', type: 'file', maxSelect: 5, maxSize: 1024 },
    { name: 'tag', type: 'relation', collectionId: tags.id, maxSelect: 1 },
    { name: 'alltags', type: 'relation', collectionId: tags.id, maxSelect: 3 },
    { name: 'pin', type: 'password', min: 4, hidden: false },
  ]);
}, 60_000);
afterAll(async () => {
  await s?.close();
});

// `count` has min 1; a valid count is sent unless a test is about it, so one failure cannot mask others.
const create = (data: Record<string, unknown>) =>
  s.admin.collection(things.name).create({ count: 5, ...data });

async function rejects(data: Record<string, unknown>, field: string, code: string): Promise<void> {
  const err = await failure(create(data));
  expect(err.status).toBe(400);
  expect(err.response.message).toBe('Failed to create record.');
  expect(fieldCode(err, field), JSON.stringify(err.response.data)).toBe(code);
  const entry = (err.response.data as Record<string, { message?: unknown }>)[field];
  expect(entry?.message).toEqual(expect.any(String));
}

describe('the collection keeps every option', () => {
  test('options come back flattened onto each field', () => {
    const byName = Object.fromEntries(things.fields.map((f) => [f.name, f as Record<string, unknown>]));
    expect(byName['title']).toMatchObject({ type: 'text', min: 2, max: 10, pattern: '^[a-z ]*$' });
    expect(byName['count']).toMatchObject({ type: 'number', min: 1, max: 100, onlyInt: true });
    expect(byName['sizes']).toMatchObject({ type: 'select', values: ['s', 'm', 'l', 'xl'], maxSelect: 2 });
    expect(byName['alltags']).toMatchObject({ type: 'relation', collectionId: tags.id, maxSelect: 3 });
    expect(byName['created']).toMatchObject({ type: 'autodate', onCreate: true, onUpdate: false });
    expect(byName['attachment']).toMatchObject({ type: 'file', maxSelect: 1 });
    expect(byName['mail']).toMatchObject({ type: 'email', onlyDomains: ['example.com'] });
  });
});

describe('values round-trip', () => {
  test('zero values of a record created empty (0 is "no value", so number min/max do not apply)', async () => {
    const rec = await s.admin.collection(things.name).create({});
    expect(rec).toMatchObject({
      title: '',
      count: 0,
      ratio: 0,
      flag: false,
      mail: '',
      site: '',
      body: '',
      when: '',
      color: '',
      sizes: [],
      meta: null,
      attachment: '',
      gallery: [],
      tag: '',
      alltags: [],
    });
    expect(rec['code']).toMatch(/^[A-Z]{6}$/); // autogeneratePattern fills an empty text field
  });

  test('every type stores and reads back what was sent', async () => {
    const [t1, t2] = await Promise.all([
      s.admin.collection(tags.name).create({ label: 'one' }),
      s.admin.collection(tags.name).create({ label: 'two' }),
    ]);
    const rec = await create({
      title: 'hello',
      count: 42,
      ratio: -1.5,
      flag: true,
      mail: 'a@example.com',
      site: 'https://hearth.example/x?y=1',
      body: '<p>hi <b>there</b></p>',
      when: '2024-02-29 13:14:15.123Z',
      color: 'green',
      sizes: ['m', 'xl'],
      meta: { nested: [1, 'two', null, true] },
      tag: t1!.id,
      alltags: [t2!.id, t1!.id],
    });
    const read = await s.admin.collection(things.name).getOne(rec.id);
    for (const r of [rec, read]) {
      expect(r).toMatchObject({
        title: 'hello',
        count: 42,
        ratio: -1.5,
        flag: true,
        mail: 'a@example.com',
        site: 'https://hearth.example/x?y=1',
        body: '<p>hi <b>there</b></p>',
        when: '2024-02-29 13:14:15.123Z',
        color: 'green',
        sizes: ['m', 'xl'],
        meta: { nested: [1, 'two', null, true] },
        tag: t1!.id,
        alltags: [t2!.id, t1!.id],
      });
    }
  });

  test('ISO dates are normalised to PocketBase datetime text', async () => {
    const rec = await create({ when: '2024-01-02T03:04:05Z' });
    expect(rec['when']).toBe('2024-01-02 03:04:05.000Z');
  });

  test('numbers and bools sent as strings are cast (form bodies)', async () => {
    const rec = await create({ count: '12', flag: 'true', ratio: '0.25' });
    expect(rec).toMatchObject({ count: 12, flag: true, ratio: 0.25 });
  });

  test('a single select or relation given an array keeps the last value; duplicates are dropped', async () => {
    const rec = await create({ color: ['red', 'blue'], sizes: ['s', 's'] });
    expect(rec['color']).toBe('blue');
    expect(rec['sizes']).toEqual(['s']);
  });

  test('json accepts arrays, numbers, strings and null', async () => {
    for (const meta of [[1, 2, 3], 3.5, 'text', null, { a: { b: 'c' } }]) {
      const rec = await create({ meta });
      expect(rec['meta']).toEqual(meta);
    }
  });

  test('autodate: set on create, updated only when onUpdate, client values ignored', async () => {
    const rec = await create({ created: '2001-01-01 00:00:00.000Z', updated: '2001-01-01 00:00:00.000Z' });
    expect(rec['created']).toMatch(DATETIME);
    expect(rec['created']).not.toBe('2001-01-01 00:00:00.000Z');
    expect(rec['updated']).toMatch(DATETIME);
    await new Promise((r) => setTimeout(r, 15));
    const upd = await s.admin
      .collection(things.name)
      .update(rec.id, { ratio: 2, created: '1999-01-01 00:00:00.000Z' });
    expect(upd['created']).toBe(rec['created']);
    expect(upd['updated']).toMatch(DATETIME);
    expect(String(upd['updated']) > String(rec['updated'])).toBe(true);
  });

  test('password: stored, never sent back in plain text or as a hash', async () => {
    const rec = await create({ pin: 'secret-pin' });
    const read = await s.admin.collection(things.name).getOne(rec.id);
    for (const r of [rec, read]) {
      const shown = r['pin'];
      expect(shown === undefined || shown === '', `pin shown as ${String(shown)}`).toBe(true);
    }
    expect(JSON.stringify(read)).not.toContain('secret-pin');
    // It is stored as a hash in its column.
    const row = s.hearth.db.sql.prepare(`SELECT pin FROM "${things.name}" WHERE id = ?`).get(rec.id) as {
      pin: string;
    };
    expect(row.pin).not.toBe('');
    expect(row.pin).not.toContain('secret-pin');
  });
});

describe('validation codes', () => {
  test.each([
    ['title', { title: 'a' }, 'validation_min_text_constraint'],
    ['title', { title: 'abcdefghijk' }, 'validation_max_text_constraint'],
    ['title', { title: 'Upper' }, 'validation_invalid_format'],
    ['count', { count: 2.5 }, 'validation_only_int_constraint'],
    ['count', { count: 101 }, 'validation_max_number_constraint'],
    ['count', { count: -3 }, 'validation_min_number_constraint'],
    ['mail', { mail: 'not-an-email' }, 'validation_is_email'],
    ['mail', { mail: 'a@other.org' }, 'validation_email_domain_not_allowed'],
    ['site', { site: 'not a url' }, 'validation_invalid_url'],
    ['site', { site: 'https://evil.test/x' }, 'validation_url_domain_not_allowed'],
    ['body', { body: 'x'.repeat(51) }, 'validation_content_size_limit'],
    ['when', { when: '1999-12-31 23:59:59.000Z' }, 'validation_min_greater_equal_than_required'],
    ['when', { when: '2100-01-02 00:00:00.000Z' }, 'validation_max_less_equal_than_required'],
    ['color', { color: 'purple' }, 'validation_invalid_value'],
    ['sizes', { sizes: ['s', 'm', 'l'] }, 'validation_too_many_values'],
    ['sizes', { sizes: ['s', 'huge'] }, 'validation_invalid_value'],
    ['meta', { meta: { long: 'y'.repeat(200) } }, 'validation_json_size_limit'],
    ['tag', { tag: 'nosuchrecord123' }, 'validation_missing_rel_records'],
    ['pin', { pin: 'abc' }, 'validation_min_text_constraint'],
  ])('%s %j → %s', async (field, data, code) => {
    await rejects(data, field, code);
  });

  test('a multi relation over maxSelect → validation_too_many_values', async () => {
    const ids = await Promise.all(
      [1, 2, 3, 4].map(async (i) => (await s.admin.collection(tags.name).create({ label: `t${i}` })).id),
    );
    await rejects({ alltags: ids }, 'alltags', 'validation_too_many_values');
  });

  test('the default text max is 5000 characters', async () => {
    const c = await createCollection(s.admin, unique('long'), [{ name: 'text', type: 'text' }]);
    expect((await s.admin.collection(c.name).create({ text: 'x'.repeat(5000) }))['text']).toHaveLength(5000);
    const err = await failure(s.admin.collection(c.name).create({ text: 'x'.repeat(5001) }));
    expect(fieldCode(err, 'text')).toBe('validation_max_text_constraint');
  });

  test('required: every type reports validation_required for its zero value', async () => {
    const c = await createCollection(s.admin, unique('req'), [
      { name: 'rtext', type: 'text', required: true },
      { name: 'rnum', type: 'number', required: true },
      { name: 'rbool', type: 'bool', required: true },
      { name: 'remail', type: 'email', required: true },
      { name: 'rurl', type: 'url', required: true },
      { name: 'reditor', type: 'editor', required: true },
      { name: 'rdate', type: 'date', required: true },
      { name: 'rselect', type: 'select', values: ['a'], maxSelect: 1, required: true },
      { name: 'rjson', type: 'json', required: true },
      { name: 'rrel', type: 'relation', collectionId: tags.id, maxSelect: 1, required: true },
    ]);
    const err = await failure(s.admin.collection(c.name).create({ rjson: {} }));
    expect(err.status).toBe(400);
    for (const f of [
      'rtext',
      'rnum',
      'rbool',
      'remail',
      'rurl',
      'reditor',
      'rdate',
      'rselect',
      'rjson',
      'rrel',
    ]) {
      expect(fieldCode(err, f), f).toBe('validation_required');
    }
    // Nothing was written.
    expect((await s.admin.collection(c.name).getList(1, 1)).totalItems).toBe(0);
  });

  test('several invalid fields are reported together', async () => {
    const err = await failure(create({ title: 'a', count: 1000, color: 'nope' }));
    expect(Object.keys(err.response.data as object).sort()).toEqual(['color', 'count', 'title']);
  });
});

describe('relations on delete', () => {
  test('cascadeDelete removes the referencing records; without it the reference is unset', async () => {
    const authors = await createCollection(s.admin, unique('authors'), [{ name: 'name', type: 'text' }]);
    const books = await createCollection(s.admin, unique('books'), [
      { name: 'author', type: 'relation', collectionId: authors.id, maxSelect: 1, cascadeDelete: true },
    ]);
    const reviews = await createCollection(s.admin, unique('reviews'), [
      { name: 'authors', type: 'relation', collectionId: authors.id, maxSelect: 5, cascadeDelete: false },
    ]);
    const [a1, a2] = await Promise.all([
      s.admin.collection(authors.name).create({ name: 'a1' }),
      s.admin.collection(authors.name).create({ name: 'a2' }),
    ]);
    const book = await s.admin.collection(books.name).create({ author: a1!.id });
    const review = await s.admin.collection(reviews.name).create({ authors: [a1!.id, a2!.id] });

    await s.admin.collection(authors.name).delete(a1!.id);

    expect((await failure(s.admin.collection(books.name).getOne(book.id))).status).toBe(404);
    expect((await s.admin.collection(reviews.name).getOne(review.id))['authors']).toEqual([a2!.id]);
  });

  test('a required relation without cascade blocks the delete (400) and nothing changes', async () => {
    const owners = await createCollection(s.admin, unique('owners'), [{ name: 'name', type: 'text' }]);
    const pets = await createCollection(s.admin, unique('pets'), [
      { name: 'owner', type: 'relation', collectionId: owners.id, maxSelect: 1, required: true },
    ]);
    const owner = await s.admin.collection(owners.name).create({ name: 'o' });
    const pet = await s.admin.collection(pets.name).create({ owner: owner.id });
    const err = await failure(s.admin.collection(owners.name).delete(owner.id));
    expect(err.status).toBe(400);
    expect((await s.admin.collection(owners.name).getOne(owner.id)).id).toBe(owner.id);
    expect((await s.admin.collection(pets.name).getOne(pet.id))['owner']).toBe(owner.id);
  });
});
