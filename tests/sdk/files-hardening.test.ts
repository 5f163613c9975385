import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { CollectionModel } from 'pocketbase';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCollection, startSdkServer, unique, type SdkServer } from './server';

// Abuse the files capability must survive (found in review): requests that can never succeed are
// refused before their uploads are read, a batch cannot smuggle a huge value past the body limit,
// thumbs refuse decompression bombs and absurd sizes, odd names still store, a batch that deletes
// and re-creates a record keeps the new files.

const MiB = 1024 * 1024;
let s: SdkServer;
let docs: CollectionModel;

beforeAll(async () => {
  s = await startSdkServer();
  docs = await createCollection(s.admin, unique('hardening'), [
    { name: 'title', type: 'text' },
    { name: 'doc', type: 'file', maxSize: 200 * MiB, thumbs: ['20x20'] },
  ]);
  await s.admin.collections.update(docs.id, { listRule: '', viewRule: '', createRule: '', updateRule: null });
  await s.admin.settings.update({ batch: { enabled: true, maxRequests: 50 } });
});
afterAll(() => s.close());

/**
 * Sends a multipart body of `size` bytes slowly; resolves with the status and how much had been
 * written when the answer came.
 */
function sendSlowly(
  method: string,
  path: string,
  size: number,
): Promise<{ status: number; written: number }> {
  const boundary = 'hearthhardening';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="big.bin"\r\n\r\n`,
  );
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(new URL(path, s.url), {
      method,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + size),
      },
    });
    req.once('response', (res) => {
      answered = true;
      resolve({ status: res.statusCode ?? 0, written });
      res.resume();
      req.destroy();
    });
    req.once('error', (err) => (answered ? undefined : reject(err)));
    const chunk = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while (!answered && written < size) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    req.write(head);
    pump();
  });
}

test('an update nobody but superusers may make is refused before its upload is read', async () => {
  const record = await s.newClient().collection(docs.name).create({ title: 'x' });
  const answer = await sendSlowly('PATCH', `/api/collections/${docs.name}/records/${record.id}`, 150 * MiB);
  expect(answer.status).toBe(403);
  expect(answer.written).toBeLessThan(20 * MiB);
  const missing = await sendSlowly(
    'PATCH',
    `/api/collections/${docs.name}/records/nosuchrecord123`,
    150 * MiB,
  );
  expect(missing.status).toBe(403); // the rule first, as PocketBase
  expect(readdirSync(join(s.hearth.dir, 'storage', '.tmp'))).toEqual([]);
});

test('a multipart batch cannot carry a value larger than the body limit', async () => {
  const form = new FormData();
  const huge = 'x'.repeat(33 * MiB);
  form.append(
    '@jsonPayload',
    JSON.stringify({
      requests: [{ method: 'POST', url: `/api/collections/${docs.name}/records`, body: { title: huge } }],
    }),
  );
  const res = await fetch(`${s.url}/api/batch`, { method: 'POST', body: form });
  expect(res.status).toBe(413);
  expect(
    (await s.admin.collection(docs.name).getList(1, 1, { filter: 'title = "x"' })).totalItems,
  ).toBeGreaterThan(0);
});

test('a batch that deletes a record and creates it again keeps the new files', async () => {
  const id = 'rebornrecord001';
  await s.admin.collection(docs.name).create({ id, doc: new File(['old'], 'old.txt') });
  const batch = s.admin.createBatch();
  batch.collection(docs.name).delete(id);
  batch.collection(docs.name).create({ id, doc: new File(['new'], 'new.txt') });
  const [deleted, created] = await batch.send();
  expect(deleted?.status).toBe(204);
  const name = (created?.body as { doc: string }).doc;
  expect(name).toMatch(/^new_[a-z0-9]{10}\.txt$/);
  expect(readdirSync(join(s.hearth.dir, 'storage', docs.id, id))).toEqual([name]);
  const res = await fetch(s.admin.files.getURL({ id, collectionId: docs.id }, name));
  expect(await res.text()).toBe('new');
});

test('thumb sizes are checked when a collection is saved', async () => {
  for (const size of ['100000x100000', '0x0', '5000x10', 'big', '10x10z']) {
    await expect(
      s.admin.collections.update(docs.id, {
        fields: [
          ...docs.fields.filter((f) => f.name !== 'doc'),
          { ...docs.fields.find((f) => f.name === 'doc'), thumbs: [size] },
        ],
      }),
    ).rejects.toMatchObject({ status: 400 });
  }
});

test('an image too large to decode safely is served as it is, never thumbed', async () => {
  // 9000 × 9000 = 81 MP of one colour: a few kilobytes of PNG, over 300 MB decoded.
  const bomb = await sharp({ create: { width: 9000, height: 9000, channels: 3, background: '#00f' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  const record = await s.admin.collection(docs.name).create({ doc: new File([bomb], 'bomb.png') });
  const res = await fetch(s.admin.files.getURL(record, record['doc'] as string, { thumb: '20x20' }));
  expect(res.status).toBe(200);
  expect(Buffer.from(await res.arrayBuffer()).equals(bomb)).toBe(true);
  expect(existsSync(join(s.hearth.dir, 'storage', docs.id, record.id, `thumbs_${record['doc']}`))).toBe(
    false,
  );
});

test('a long name in a script of multi-byte letters is stored, cut to fit', async () => {
  const record = await s.admin
    .collection(docs.name)
    .create({ doc: new File(['x'], `${'漢'.repeat(100)}.txt`) });
  const name = record['doc'] as string;
  expect(name).toMatch(/^漢+_[a-z0-9]{10}\.txt$/u);
  expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  expect(await (await fetch(s.admin.files.getURL(record, name))).text()).toBe('x');
});
