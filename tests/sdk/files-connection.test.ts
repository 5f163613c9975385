import { readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSdkServer, unique, type SdkServer } from './server';

/** Clients that go away mid-transfer: nothing of theirs stays open or on disk. */

let s: SdkServer;
let collection: string;
beforeAll(async () => {
  s = await startSdkServer();
  collection = unique('transfers');
  await s.admin.collections.create({
    name: collection,
    type: 'base',
    listRule: '',
    viewRule: '',
    createRule: '',
    fields: [{ name: 'f', type: 'file', maxSize: 100_000_000 }],
  });
});
afterAll(() => s.close());

/** Files under the data folder's storage that this process holds open. */
function openStorageFiles(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((path) => path.startsWith(join(s.hearth.dir, 'storage')));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

test('a download cut off after its first bytes leaves no file open', async () => {
  const record = await s.admin
    .collection(collection)
    .create({ f: new File([Buffer.alloc(30_000_000, 1)], 'big.bin') });
  const url = s.admin.files.getURL(record, record['f'] as string);
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((done, fail) => {
      const req = request(url, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          done();
        });
      });
      req.once('error', fail);
      req.end();
    });
  }
  await settle();
  expect(openStorageFiles()).toEqual([]);
});

test('an upload the client abandons halfway leaves no temp file and no record', async () => {
  const before = (await s.admin.collection(collection).getList(1, 1)).totalItems;
  const boundary = 'hearth-abandon';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="half.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const url = new URL(`/api/collections/${collection}/records`, s.url);
  await new Promise<void>((done) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + 10_000_000),
      },
    });
    req.once('error', () => undefined);
    req.write(head);
    req.write(Buffer.alloc(2_000_000, 2), () => {
      setTimeout(() => {
        req.destroy();
        done();
      }, 200);
    });
  });
  await settle();
  expect(readdirSync(join(s.hearth.dir, 'storage', '.tmp'))).toEqual([]);
  expect(openStorageFiles()).toEqual([]);
  expect((await s.admin.collection(collection).getList(1, 1)).totalItems).toBe(before);
});
