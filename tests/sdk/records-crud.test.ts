import type { CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, fieldCode, startSdkServer, unique, type SdkServer } from './server';

// Record CRUD as pocketbase/pocketbase apis/record_crud.go answers it: create and update 200 with the
// record, delete 204, unknown ids 404, every record carrying id, collectionId and collectionName.

let s: SdkServer;
let notes: CollectionModel;
beforeAll(async () => {
  s = await startSdkServer();
  notes = await createCollection(s.admin, unique('notes'), [
    { name: 'title', type: 'text' },
    { name: 'views', type: 'number' },
    { name: 'done', type: 'bool' },
    { name: 'secret', type: 'text', hidden: true },
  ]);
});
afterAll(async () => {
  await s?.close();
});

describe('create', () => {
  test('answers 200 with the stored record, a 15-character id and the collection reference', async () => {
    const rec = await s.newClient().collection(notes.name).create({ title: 'hello', views: 3, done: true });
    expect(rec).toMatchObject({
      collectionId: notes.id,
      collectionName: notes.name,
      title: 'hello',
      views: 3,
      done: true,
    });
    expect(rec.id).toMatch(/^[a-z0-9]{15}$/);
  });

  test('missing values get their zero value', async () => {
    const rec = await s.admin.collection(notes.name).create({});
    expect(rec).toMatchObject({ title: '', views: 0, done: false });
  });

  test('unknown keys are ignored', async () => {
    const rec = await s.admin.collection(notes.name).create({ title: 'x', nosuchfield: 'y' });
    expect(rec['nosuchfield']).toBeUndefined();
    expect((await s.admin.collection(notes.name).getOne(rec.id))['nosuchfield']).toBeUndefined();
  });

  test('hidden fields are written by superusers only, shown only to them, and filterable only by them', async () => {
    // A non-superuser's value for a hidden field is dropped (PocketBase's recordDataFromRequest).
    const guest = await s.newClient().collection(notes.name).create({ title: 'g', secret: 'mine' });
    expect((await s.admin.collection(notes.name).getOne(guest.id))['secret']).toBe('');
    const rec = await s.admin.collection(notes.name).create({ title: 'h', secret: 'shh' });
    const anon = s.newClient();
    expect(await anon.collection(notes.name).getOne(rec.id)).not.toHaveProperty('secret');
    const listed = await anon.collection(notes.name).getList(1, 1, { filter: `id = "${rec.id}"` });
    expect(listed.items[0]).not.toHaveProperty('secret');
    // Superusers see hidden fields (PocketBase unhides them in autoResolveRecordsFlags) and filter on them.
    expect((await s.admin.collection(notes.name).getOne(rec.id))['secret']).toBe('shh');
    const found = await s.admin.collection(notes.name).getList(1, 5, { filter: 'secret = "shh"' });
    expect(found.items.map((r) => r.id)).toEqual([rec.id]);
  });

  test('a client-chosen id is kept', async () => {
    const id = 'abcdefghij12345';
    const rec = await s.admin.collection(notes.name).create({ id, title: 'mine' });
    expect(rec.id).toBe(id);
    expect((await s.admin.collection(notes.name).getOne(id)).title).toBe('mine');
  });

  test.each([
    { label: 'too short', id: 'abc', code: 'validation_min_text_constraint' },
    { label: 'upper case', id: 'ABCDEFGHIJ12345', code: 'validation_invalid_format' },
    { label: 'with a slash', id: 'abcdefghij/2345', code: undefined },
  ])('a malformed id ($label) → 400 with data.id', async ({ id, code }) => {
    const err = await failure(s.admin.collection(notes.name).create({ id, title: 'x' }));
    expect(err.status).toBe(400);
    expect(err.response.data).toHaveProperty('id');
    if (code) expect(fieldCode(err, 'id')).toBe(code);
  });

  test('a duplicate id → 400 with data.id, and the first record is unchanged', async () => {
    const first = await s.admin.collection(notes.name).create({ title: 'first' });
    const err = await failure(s.admin.collection(notes.name).create({ id: first.id, title: 'second' }));
    expect(err.status).toBe(400);
    expect(err.response.data).toHaveProperty('id');
    expect((await s.admin.collection(notes.name).getOne(first.id)).title).toBe('first');
  });

  test('multipart bodies: plain form values and @jsonPayload (as the SDK sends them)', async () => {
    const form = new FormData();
    form.append('title', 'from form');
    form.append('@jsonPayload', JSON.stringify({ views: 7, done: true }));
    const rec = await s.admin.collection(notes.name).create(form);
    expect(rec).toMatchObject({ title: 'from form', views: 7, done: true });
  });

  test('the collection may be addressed by id', async () => {
    const rec = await s.admin.collection(notes.id).create({ title: 'by id' });
    expect(rec.collectionName).toBe(notes.name);
    expect((await s.admin.collection(notes.id).getOne(rec.id)).title).toBe('by id');
  });

  test('a body that is not JSON → 400', async () => {
    const err = await failure(
      s.admin.send(`/api/collections/${notes.name}/records`, {
        method: 'POST',
        body: '{"title": ',
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    expect(err.status).toBe(400);
  });
});

describe('view, update, delete', () => {
  test('getOne returns the record; an unknown id is 404', async () => {
    const rec = await s.newClient().collection(notes.name).create({ title: 'view me' });
    const got = await s.newClient().collection(notes.name).getOne(rec.id);
    expect(got).toEqual(rec);
    const err = await failure(s.admin.collection(notes.name).getOne('nosuchid0000000'));
    expect(err.status).toBe(404);
    expect(err.response).toMatchObject({ status: 404, data: {} });
  });

  test('update changes only the given fields and answers the whole record', async () => {
    const rec = await s.admin.collection(notes.name).create({ title: 'before', views: 1 });
    const updated = await s.newClient().collection(notes.name).update(rec.id, { title: 'after' });
    expect(updated).toMatchObject({ id: rec.id, title: 'after', views: 1, collectionName: notes.name });
    expect((await s.admin.collection(notes.name).getOne(rec.id)).title).toBe('after');
  });

  test('the id cannot be changed by an update', async () => {
    const rec = await s.admin.collection(notes.name).create({ title: 'pk' });
    const err = await failure(s.admin.collection(notes.name).update(rec.id, { id: 'zzzzzzzzzzzzzzz' }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'id')).toBe('validation_pk_change');
    expect((await s.admin.collection(notes.name).getOne(rec.id)).title).toBe('pk');
  });

  test('update and delete of an unknown id are 404', async () => {
    expect(
      (await failure(s.admin.collection(notes.name).update('nosuchid0000000', { title: 'x' }))).status,
    ).toBe(404);
    expect((await failure(s.admin.collection(notes.name).delete('nosuchid0000000'))).status).toBe(404);
  });

  test('delete answers 204 and the record is gone', async () => {
    const rec = await s.admin.collection(notes.name).create({ title: 'bye' });
    const res = await fetch(`${s.url}/api/collections/${notes.name}/records/${rec.id}`, {
      method: 'DELETE',
      headers: { Authorization: s.admin.authStore.token },
    });
    expect(res.status).toBe(204);
    expect((await failure(s.admin.collection(notes.name).getOne(rec.id))).status).toBe(404);
  });

  test('the SDK delete resolves to true', async () => {
    const rec = await s.admin.collection(notes.name).create({ title: 'bye' });
    expect(await s.newClient().collection(notes.name).delete(rec.id)).toBe(true);
  });
});

describe('unknown collection', () => {
  test.each(['list', 'view', 'create', 'update', 'delete'])(
    '%s → 404 "Missing collection context."',
    async (op) => {
      const c = s.admin.collection('no_such_collection');
      const call =
        op === 'list'
          ? c.getList()
          : op === 'view'
            ? c.getOne('abcdefghij12345')
            : op === 'create'
              ? c.create({ a: 1 })
              : op === 'update'
                ? c.update('abcdefghij12345', { a: 1 })
                : c.delete('abcdefghij12345');
      const err = await failure(call);
      expect(err.status).toBe(404);
      expect(err.response.message).toBe('Missing collection context.');
    },
  );
});

describe('error shape', () => {
  test('a validation failure is {status, message, data.<field>.{code, message}}', async () => {
    const c = await createCollection(s.admin, unique('strict'), [
      { name: 'title', type: 'text', required: true },
    ]);
    const err = await failure(s.newClient().collection(c.name).create({ title: '' }));
    expect(err.status).toBe(400);
    expect(err.response).toEqual({
      status: 400,
      message: 'Failed to create record.',
      data: { title: { code: 'validation_required', message: 'Cannot be blank.' } },
    });
    const rec = await s.admin.collection(c.name).create({ title: 'ok' });
    const upd = await failure(s.newClient().collection(c.name).update(rec.id, { title: '' }));
    expect(upd.response).toMatchObject({
      status: 400,
      message: 'Failed to update record.',
      data: { title: { code: 'validation_required' } },
    });
  });
});
