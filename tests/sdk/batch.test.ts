import type { CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, startSdkServer, unique, type SdkServer } from './server';

// POST /api/batch through the SDK's createBatch() (multipart with @jsonPayload), as
// pocketbase/pocketbase apis/batch.go runs it: one transaction, all or nothing, answered as
// [{status, body}]; disabled until settings.batch.enabled; failures name the request that failed.

let s: SdkServer;
let todos: CollectionModel;
let locked: CollectionModel;

beforeAll(async () => {
  s = await startSdkServer();
  todos = await createCollection(s.admin, unique('todos'), [
    { name: 'title', type: 'text', required: true },
    { name: 'done', type: 'bool' },
  ]);
  locked = await createCollection(s.admin, unique('locked'), [{ name: 'title', type: 'text' }], {
    createRule: null,
  });
});
afterAll(async () => {
  await s?.close();
});

const count = async (c: CollectionModel) => (await s.admin.collection(c.name).getList(1, 1)).totalItems;

describe('disabled by default', () => {
  test('settings say batch.enabled = false and a batch is refused with 403; nothing is written', async () => {
    const settings = await s.admin.settings.getAll();
    expect(settings['batch']).toMatchObject({ enabled: false });
    const batch = s.admin.createBatch();
    batch.collection(todos.name).create({ title: 'nope' });
    const err = await failure(batch.send());
    expect(err.status).toBe(403);
    expect(await count(todos)).toBe(0);
  });
});

describe('enabled', () => {
  beforeAll(async () => {
    const updated = await s.admin.settings.update({ batch: { enabled: true } });
    expect(updated['batch']).toMatchObject({ enabled: true, maxRequests: 50, timeout: 3 });
  });

  test('create, update, delete and upsert run in order and answer [{status, body}]', async () => {
    const existing = await s.admin.collection(todos.name).create({ title: 'old' });
    const doomed = await s.admin.collection(todos.name).create({ title: 'doomed' });
    const before = await count(todos);

    const batch = s.admin.createBatch();
    batch.collection(todos.name).create({ title: 'one' });
    batch.collection(todos.name).create({ id: 'batchcreated001', title: 'two', done: true });
    batch.collection(todos.name).update(existing.id, { done: true });
    batch.collection(todos.name).delete(doomed.id);
    batch.collection(todos.name).upsert({ id: existing.id, title: 'upserted' });
    batch.collection(todos.name).upsert({ id: 'batchupserted01', title: 'fresh' });
    const results = (await batch.send()) as { status: number; body: Record<string, unknown> | null }[];

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 204, 200, 200]);
    expect(results[0]!.body).toMatchObject({ title: 'one', collectionName: todos.name });
    expect(results[1]!.body).toMatchObject({ id: 'batchcreated001', done: true });
    expect(results[2]!.body).toMatchObject({ id: existing.id, done: true, title: 'old' });
    expect(results[4]!.body).toMatchObject({ id: existing.id, title: 'upserted', done: true });
    expect(results[5]!.body).toMatchObject({ id: 'batchupserted01', title: 'fresh' });

    expect(await count(todos)).toBe(before + 3 - 1);
    expect((await failure(s.admin.collection(todos.name).getOne(doomed.id))).status).toBe(404);
    expect((await s.admin.collection(todos.name).getOne('batchupserted01'))['title']).toBe('fresh');
  });

  test('one failing request rolls everything back and names the failed request', async () => {
    const keep = await s.admin.collection(todos.name).create({ title: 'keep' });
    const before = await count(todos);

    const batch = s.admin.createBatch();
    batch.collection(todos.name).create({ id: 'rolledback00001', title: 'would be created' });
    batch.collection(todos.name).update(keep.id, { title: 'would be changed' });
    batch.collection(todos.name).create({ title: '' }); // required → fails
    batch.collection(todos.name).delete(keep.id);
    const err = await failure(batch.send());

    expect(err.status).toBe(400);
    expect(err.response['message']).toBe('Batch transaction failed.');
    const failed = (err.response['data'] as { requests?: Record<string, Record<string, unknown>> })
      .requests?.['2'];
    expect(failed).toMatchObject({
      code: 'batch_request_failed',
      response: { status: 400, data: { title: { code: 'validation_required' } } },
    });

    expect(await count(todos)).toBe(before);
    expect((await failure(s.admin.collection(todos.name).getOne('rolledback00001'))).status).toBe(404);
    expect((await s.admin.collection(todos.name).getOne(keep.id))['title']).toBe('keep');
  });

  test('each request is checked against the collection rules of the caller', async () => {
    const anon = s.newClient();
    const before = await count(todos);
    const batch = anon.createBatch();
    batch.collection(todos.name).create({ title: 'allowed' });
    batch.collection(locked.name).create({ title: 'not allowed' });
    const err = await failure(batch.send());
    expect(err.status).toBe(400);
    const failed = (err.response['data'] as { requests?: Record<string, Record<string, unknown>> })
      .requests?.['1'];
    expect(failed).toMatchObject({ code: 'batch_request_failed', response: { status: 403 } });
    expect(await count(todos)).toBe(before);
    expect(await count(locked)).toBe(0);
  });

  test('a request that is not a record create/update/delete/upsert fails the batch', async () => {
    const before = await count(todos);
    const err = await failure(
      s.admin.send('/api/batch', {
        method: 'POST',
        body: {
          requests: [
            { method: 'POST', url: `/api/collections/${todos.name}/records`, body: { title: 'x' } },
            { method: 'GET', url: `/api/collections/${todos.name}/records` },
          ],
        },
      }),
    );
    expect(err.status).toBe(400);
    expect(await count(todos)).toBe(before);
  });

  test('more requests than batch.maxRequests → 400 and nothing written', async () => {
    await s.admin.settings.update({ batch: { maxRequests: 2 } });
    try {
      const before = await count(todos);
      const batch = s.admin.createBatch();
      for (let i = 0; i < 3; i++) batch.collection(todos.name).create({ title: `over ${i}` });
      const err = await failure(batch.send());
      expect(err.status).toBe(400);
      expect(err.response['data']).toHaveProperty('requests');
      expect(await count(todos)).toBe(before);
    } finally {
      await s.admin.settings.update({ batch: { maxRequests: 50 } });
    }
  });

  test('an empty batch → 400', async () => {
    const err = await failure(s.admin.send('/api/batch', { method: 'POST', body: { requests: [] } }));
    expect(err.status).toBe(400);
  });

  test('turning batch off again refuses batches', async () => {
    await s.admin.settings.update({ batch: { enabled: false } });
    try {
      const batch = s.admin.createBatch();
      batch.collection(todos.name).create({ title: 'off' });
      expect((await failure(batch.send())).status).toBe(403);
    } finally {
      await s.admin.settings.update({ batch: { enabled: true } });
    }
  });
});
