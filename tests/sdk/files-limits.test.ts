import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { CollectionModel, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, startSdkServer, unique, type SdkServer } from './server';

// Large uploads: a 50 MB file through the SDK comes back byte for byte (whole and by Range), and an
// upload past its limit is answered while most of its body is still unsent — 400
// validation_file_size_limit once a file part passes its field's maxSize, 413 at once when the
// Content-Length is beyond the collection's total (http.maxBodySize + Σ maxSize × maxSelect).

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let s: SdkServer;
/** `tiny` takes 1 MiB; `roomy` lifts the collection's total past 200 MB (32 + 1 + 250 MiB). */
let roomy: CollectionModel;
/** Only `tiny` (1 MiB): a body may have 32 + 1 MiB. */
let capped: CollectionModel;

const storage = () => join(s.hearth.dir, 'storage');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort();
}

async function expectNoTempFiles(): Promise<void> {
  const tmp = join(storage(), '.tmp');
  for (let i = 0; i < 50 && filesUnder(tmp).length > 0; i++) await sleep(20);
  expect(filesUnder(tmp)).toEqual([]);
}

beforeAll(async () => {
  s = await startSdkServer();
  roomy = await createCollection(s.admin, unique('roomy'), [
    { name: 'title', type: 'text' },
    { name: 'tiny', type: 'file', maxSelect: 1, maxSize: MiB },
    { name: 'roomy', type: 'file', maxSelect: 1, maxSize: 250 * MiB },
  ]);
  capped = await createCollection(s.admin, unique('capped'), [
    { name: 'tiny', type: 'file', maxSelect: 1, maxSize: MiB },
  ]);
});
afterAll(async () => {
  await s?.close();
});

describe('a 50 MB file', () => {
  const size = 50 * 1000 * 1000;
  let bytes: Buffer;
  let rec: RecordModel;
  let name: string;

  beforeAll(async () => {
    bytes = randomBytes(size);
    rec = await s
      .newClient()
      .collection(roomy.name)
      .create({ title: 'big', roomy: new File([new Uint8Array(bytes)], 'Big Random.bin') });
    name = rec['roomy'] as string;
  });

  test('is stored whole through the SDK', async () => {
    expect(name).toMatch(/^big_random_[a-z0-9]{10}\.bin$/);
    const path = join(storage(), roomy.id, rec.id, name);
    expect(statSync(path).size).toBe(size);
    expect(sha256(readFileSync(path))).toBe(sha256(bytes));
    await expectNoTempFiles();
  });

  test('downloads byte for byte', async () => {
    const res = await fetch(s.newClient().files.getURL(rec, name));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(size));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(size);
    expect(sha256(got)).toBe(sha256(bytes));
  });

  test('a Range in the middle returns exactly that slice', async () => {
    const start = 23_456_789;
    const end = start + 1_000_000 - 1;
    const res = await fetch(s.newClient().files.getURL(rec, name), {
      headers: { Range: `bytes=${start}-${end}` },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(end - start + 1);
    expect(got.equals(bytes.subarray(start, end + 1))).toBe(true);
  });
});

interface SlowUpload {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Body bytes handed to the socket when the answer's headers arrived. */
  writtenWhenAnswered: number;
}

/**
 * A multipart create whose one file part (under `key`) is `fileBytes` long, written in 64 KiB chunks
 * that wait for the socket to drain, stopping as soon as the server answers. `contentLength`: the
 * header to send (null: chunked transfer encoding, no length).
 */
function uploadSlowly(
  collection: CollectionModel,
  key: string,
  fileBytes: number,
  contentLength: (bodyLength: number) => number | null,
  options: { sendBody?: boolean } = {},
): Promise<SlowUpload> {
  const boundary = `hearth${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${key}"; filename="upload.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const bodyLength = head.length + fileBytes + tail.length;
  const length = contentLength(bodyLength);
  const { hostname, port } = new URL(s.url);
  const headers: Record<string, string> = { 'Content-Type': `multipart/form-data; boundary=${boundary}` };
  if (length !== null) headers['Content-Length'] = String(length);

  return new Promise<SlowUpload>((resolve, reject) => {
    let written = 0;
    let answered: SlowUpload | undefined;
    let onAnswer: () => void = () => undefined;
    const answer = new Promise<void>((r) => (onAnswer = r));
    const req = httpRequest(
      { host: hostname, port, method: 'POST', path: `/api/collections/${collection.name}/records`, headers },
      (res) => {
        answered = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: '',
          writtenWhenAnswered: written,
        };
        onAnswer();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          answered!.body = Buffer.concat(chunks).toString('utf8');
          resolve(answered!);
          req.destroy();
        });
        res.on('error', (err) => (answered ? resolve(answered) : reject(err)));
      },
    );
    // Once the server has answered and closed, further writes fail: that is expected.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.flushHeaders();
    if (options.sendBody === false) return;

    const write = (chunk: Buffer): Promise<void> => {
      written += chunk.length;
      if (req.write(chunk)) return Promise.resolve();
      return Promise.race([new Promise<void>((r) => req.once('drain', () => r())), answer]);
    };
    void (async () => {
      await write(head);
      const chunk = Buffer.alloc(64 * 1024, 120);
      let left = fileBytes;
      while (left > 0 && !answered && !req.destroyed) {
        await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
        left -= chunk.length;
      }
      if (!answered && !req.destroyed) req.end(tail);
    })().catch((err: unknown) => {
      if (!answered) reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

async function recordCount(c: CollectionModel): Promise<number> {
  return (await s.admin.collection(c.name).getList(1, 1)).totalItems;
}

describe('an upload over the limit is answered without reading the whole body', () => {
  const declared = 200 * 1000 * 1000;

  test('a 200 MB Content-Length for a 1 MiB field → 400 validation_file_size_limit before 20 MB are sent', async () => {
    const before = await recordCount(roomy);
    const res = await uploadSlowly(roomy, 'tiny', declared, (n) => n);
    expect(res.status).toBe(400);
    expect(res.writtenWhenAnswered).toBeLessThan(20 * 1000 * 1000);
    expect(res.headers['connection']).toBe('close');
    const body = JSON.parse(res.body) as { data: Record<string, { code: string }> };
    expect(body.data['tiny']?.code).toBe('validation_file_size_limit');
    expect(await recordCount(roomy)).toBe(before);
    expect(filesUnder(join(storage(), roomy.id)).filter((p) => !p.includes('big_random'))).toEqual([]);
    await expectNoTempFiles();
  });

  test('the same with chunked transfer encoding (no Content-Length) → 400 before 20 MB are sent', async () => {
    const before = await recordCount(roomy);
    const res = await uploadSlowly(roomy, 'tiny', declared, () => null);
    expect(res.status).toBe(400);
    expect(res.writtenWhenAnswered).toBeLessThan(20 * 1000 * 1000);
    const body = JSON.parse(res.body) as { data: Record<string, { code: string }> };
    expect(body.data['tiny']?.code).toBe('validation_file_size_limit');
    expect(await recordCount(roomy)).toBe(before);
    await expectNoTempFiles();
  });

  test('a body past the total limit without a Content-Length → 413 before 60 MB are sent', async () => {
    // capped allows 33 MiB in all; its only file field is tiny, so a file under another key is
    // skipped and only the body total stops it.
    const res = await uploadSlowly(capped, 'nosuchfield', 200 * MiB, () => null);
    expect(res.status).toBe(413);
    expect(res.writtenWhenAnswered).toBeLessThan(60 * MiB);
    expect(await recordCount(capped)).toBe(0);
    await expectNoTempFiles();
  });

  test("a Content-Length beyond the collection's total (32 MiB + Σ maxSize) → 413 before any body byte", async () => {
    const res = await uploadSlowly(capped, 'tiny', declared, () => 34 * MiB, { sendBody: false });
    expect(res.status).toBe(413);
    expect(res.writtenWhenAnswered).toBe(0);
    expect(res.headers['connection']).toBe('close');
    expect(JSON.parse(res.body)).toMatchObject({ status: 413 });
    expect(await recordCount(capped)).toBe(0);
  });

  test('a Content-Length within the total is read: a 1 MiB file for the 1 MiB field is stored', async () => {
    const res = await uploadSlowly(capped, 'tiny', MiB, (n) => n);
    expect(res.status).toBe(200);
    const rec = JSON.parse(res.body) as RecordModel;
    expect(statSync(join(storage(), capped.id, rec.id, rec['tiny'] as string)).size).toBe(MiB);
  });
});
