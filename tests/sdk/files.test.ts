import { EventSource } from 'eventsource';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type PocketBase from 'pocketbase';
import type { CollectionModel, RecordModel } from 'pocketbase';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createCollection,
  failure,
  fieldCode,
  PASSWORD,
  startSdkServer,
  unique,
  type SdkServer,
} from './server';

// File fields as pocketbase/pocketbase core/field_file.go and apis/file.go handle them, through the
// official SDK: multipart uploads stored under <dir>/storage/<collectionId>/<recordId>/<name>, the
// f+ / +f / f- modifiers, maxSize / maxSelect / sniffed mimeTypes, GET /api/files with Range, ETag,
// download and thumbs, protected files behind POST /api/files/token, batch uploads, and no stray files
// on disk after a failed write.

(globalThis as { EventSource?: unknown }).EventSource = EventSource;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STORED = (stem: string, ext: string) => new RegExp(`^${stem}_[a-z0-9]{10}\\${ext}$`);

let s: SdkServer;
let docs: CollectionModel;
let users: CollectionModel;

const storage = () => join(s.hearth.dir, 'storage');
const tempDir = () => join(storage(), '.tmp');
const recordDir = (c: CollectionModel, id: string) => join(storage(), c.id, id);

/** Every regular file under `dir`, relative to it, sorted ([] when the folder does not exist). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => statSync(join(dir, p)).isFile())
    .sort();
}

/** The upload temp folder is empty (polled briefly: temp files are removed as the request ends). */
async function expectNoTempFiles(): Promise<void> {
  for (let i = 0; i < 50 && filesUnder(tempDir()).length > 0; i++) await sleep(20);
  expect(filesUnder(tempDir())).toEqual([]);
}

const textFile = (content: string, name = 'notes.txt', type = 'text/plain') =>
  new File([content], name, { type });

async function pngBuffer(width: number, height: number, background = '#f00'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
}
async function jpegBuffer(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#00f' } })
    .jpeg()
    .toBuffer();
}
const imageFile = (bytes: Buffer, name = 'photo.png', type = 'image/png') =>
  new File([new Uint8Array(bytes)], name, { type });

/** GET (or another method) of a record's file through the URL the SDK builds. */
function getFile(
  record: RecordModel,
  name: string,
  query: Record<string, unknown> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(s.newClient().files.getURL(record, name, query), init);
}

const bytesOf = async (res: Response) => Buffer.from(await res.arrayBuffer());

/** A GET with the path sent exactly as given (fetch would normalise `..` and `%2e%2e` away). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  s = await startSdkServer();
  users = await s.admin.collections.getOne('users');
  docs = await createCollection(s.admin, unique('docs'), [
    { name: 'title', type: 'text' },
    { name: 'files', type: 'file', maxSelect: 5, maxSize: 1024 * 1024 },
    { name: 'single', type: 'file', maxSelect: 1 },
    {
      name: 'images',
      type: 'file',
      maxSelect: 3,
      mimeTypes: ['image/png', 'image/jpeg'],
      thumbs: ['50x20', '40x40f', '0x30', '30x0', '50x20t'],
    },
    { name: 'small', type: 'file', maxSelect: 1, maxSize: 100 },
    { name: 'anysize', type: 'file', maxSelect: 1, maxSize: 0 },
  ]);
});
afterAll(async () => {
  await s?.close();
});

describe('uploads through the SDK', () => {
  test('a created record names its files as stored; they are on disk with the exact bytes', async () => {
    const rec = await s
      .newClient()
      .collection(docs.name)
      .create({
        title: 'two files',
        files: [textFile('first file', 'Hello World.txt'), textFile('second', 'MyReport-2024 (1).TXT')],
        single: textFile('only one', 'single.md'),
      });
    const files = rec['files'] as string[];
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(STORED('hello_world', '.txt'));
    expect(files[1]).toMatch(STORED('my_report_2024_1', '.TXT'));
    expect(rec['single']).toMatch(STORED('single', '.md'));
    // Fields without an upload keep their zero value.
    expect(rec['images']).toEqual([]);
    expect(rec['small']).toBe('');

    const dir = recordDir(docs, rec.id);
    expect(filesUnder(dir)).toEqual([...files, rec['single'] as string].sort());
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toBe('first file');
    expect(readFileSync(join(dir, files[1]!), 'utf8')).toBe('second');
    expect(readFileSync(join(dir, rec['single'] as string), 'utf8')).toBe('only one');
    await expectNoTempFiles();
  });

  test('getOne and getList show the same stored names as the create answer', async () => {
    const rec = await s.admin
      .collection(docs.name)
      .create({ title: 'listed', files: [textFile('a', 'a list.txt')] });
    const one = await s.newClient().collection(docs.name).getOne(rec.id);
    const list = await s
      .newClient()
      .collection(docs.name)
      .getList(1, 5, { filter: `id = "${rec.id}"` });
    expect(one['files']).toEqual(rec['files']);
    expect(list.items.map((r) => r['files'])).toEqual([rec['files']]);
  });

  test('a realtime subscriber receives the record with its stored file names', async () => {
    const pb = s.newClient();
    const events: RecordModel[] = [];
    const unsubscribe = await pb.collection(docs.name).subscribe('*', (e) => {
      if (e.action === 'create') events.push(e.record);
    });
    try {
      const rec = await s.admin
        .collection(docs.name)
        .create({ title: 'live', files: [textFile('x', 'Live Feed.txt')] });
      for (let i = 0; i < 150 && !events.some((e) => e.id === rec.id); i++) await sleep(20);
      const seen = events.find((e) => e.id === rec.id);
      expect(seen?.['files']).toEqual(rec['files']);
      expect((rec['files'] as string[])[0]).toMatch(STORED('live_feed', '.txt'));
    } finally {
      await unsubscribe();
    }
  });

  test.each([
    { label: 'a relative path with ../', name: '../../etc/passwd.json', ext: '.json' },
    { label: 'Windows separators', name: '..\\..\\windows\\win.txt', ext: '.txt' },
    { label: 'only dots', name: '...', ext: '.txt' },
    { label: 'a dot file', name: '.htaccess', ext: '.txt' },
    { label: 'an absolute path', name: '/etc/cron.d/job.sh', ext: '.sh' },
  ])(
    'a client file name with $label is stored as a plain name inside the record folder',
    async ({ name, ext }) => {
      const before = filesUnder(storage()).filter((p) => !p.startsWith(`${docs.id}/`));
      const rec = await s
        .newClient()
        .collection(docs.name)
        .create({ single: textFile('payload', name) });
      const stored = rec['single'] as string;
      expect(stored).toMatch(/^[a-z0-9_]+_[a-z0-9]{10}\.[a-z]+$/);
      expect(stored.endsWith(ext)).toBe(true);
      expect(filesUnder(recordDir(docs, rec.id))).toEqual([stored]);
      // Nothing was written anywhere else in storage, and nothing next to the data folder.
      expect(filesUnder(storage()).filter((p) => !p.startsWith(`${docs.id}/`))).toEqual(before);
      expect(existsSync(join(s.hearth.dir, 'etc'))).toBe(false);
      expect(existsSync(join(storage(), 'etc'))).toBe(false);
      const res = await getFile(rec, stored);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('payload');
    },
  );

  test('a NUL byte in a percent-encoded filename* is dropped from the stored name', async () => {
    const boundary = 'hearthboundary0123456789';
    const body = Buffer.from(
      [
        `--${boundary}`,
        `Content-Disposition: form-data; name="single"; filename*=UTF-8''evil%00name.txt`,
        'Content-Type: text/plain',
        '',
        'nul payload',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    const res = await fetch(`${s.url}/api/collections/${docs.name}/records`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(200);
    const rec = (await res.json()) as RecordModel;
    expect(rec['single']).toMatch(STORED('evil_name', '.txt'));
    expect(filesUnder(recordDir(docs, rec.id))).toEqual([rec['single']]);
  });

  test('a raw NUL byte in the part header → 400 (malformed multipart); nothing stored', async () => {
    const before = filesUnder(storage());
    const err = await failure(
      s
        .newClient()
        .collection(docs.name)
        .create({ title: 'nul', single: textFile('payload', 'evil\0.txt') }),
    );
    expect(err.status).toBe(400);
    expect(filesUnder(storage())).toEqual(before);
    await expectNoTempFiles();
  });

  test("an auth collection's file field: an avatar sent at sign-up is stored and served without a token", async () => {
    const png = await pngBuffer(32, 32);
    const { record, client } = await s.signUp('users', { avatar: imageFile(png, 'My Avatar.png') });
    const me = await client.collection('users').getOne(record.id);
    expect(me['avatar']).toMatch(STORED('my_avatar', '.png'));
    expect(filesUnder(recordDir(users, record.id))).toEqual([me['avatar']]);
    // users' viewRule refuses anonymous readers; the avatar is not protected, so it is served anyway.
    const res = await getFile(me, me['avatar'] as string);
    expect(res.status).toBe(200);
    expect(await bytesOf(res)).toEqual(png);
    // Its owner replaces it (updateRule id = @request.auth.id); the old file goes.
    const updated = await client
      .collection('users')
      .update(record.id, { avatar: imageFile(await pngBuffer(8, 8), 'new.png') });
    expect(filesUnder(recordDir(users, record.id))).toEqual([updated['avatar']]);
  });

  test('maxSize 0 means the 5 MiB default: one byte over is refused, exactly 5 MiB is stored', async () => {
    const limit = 5 * 1024 * 1024;
    const err = await failure(
      s
        .newClient()
        .collection(docs.name)
        .create({ anysize: new File([Buffer.alloc(limit + 1, 97)], 'over.txt') }),
    );
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'anysize')).toBe('validation_file_size_limit');
    const rec = await s
      .newClient()
      .collection(docs.name)
      .create({ anysize: new File([Buffer.alloc(limit, 97)], 'at.txt') });
    expect(statSync(join(recordDir(docs, rec.id), rec['anysize'] as string)).size).toBe(limit);
    await expectNoTempFiles();
  });

  test('mimeTypes are checked against the sniffed type, not the type the client claims', async () => {
    // Text that claims to be a PNG is refused…
    const err = await failure(
      s
        .newClient()
        .collection(docs.name)
        .create({ images: textFile('not an image at all', 'fake.png', 'image/png') }),
    );
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'images')).toBe('validation_invalid_mime_type');
    // …and a real PNG sent as text/plain with a .txt name is accepted, served as what it is.
    const png = await pngBuffer(4, 4);
    const rec = await s
      .newClient()
      .collection(docs.name)
      .create({ images: [new File([new Uint8Array(png)], 'disguised.txt', { type: 'text/plain' })] });
    const name = (rec['images'] as string[])[0]!;
    expect(name).toMatch(STORED('disguised', '.txt'));
    const res = await getFile(rec, name);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(await bytesOf(res)).toEqual(png);
    await expectNoTempFiles();
  });

  test('more files than maxSelect → 400 validation_too_many_files; nothing stored', async () => {
    const before = filesUnder(join(storage(), docs.id)).length;
    const six = Array.from({ length: 6 }, (_, i) => textFile(`f${i}`, `f${i}.txt`));
    const err = await failure(s.newClient().collection(docs.name).create({ files: six }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'files')).toBe('validation_too_many_files');
    expect(filesUnder(join(storage(), docs.id))).toHaveLength(before);
    await expectNoTempFiles();
  });
});

describe('uploads refused on their first bytes', () => {
  // Its own server: a temp file left here must not show up in other tests' temp folder checks.
  let own: SdkServer;
  let col: CollectionModel;
  beforeAll(async () => {
    own = await startSdkServer();
    col = await createCollection(own.admin, unique('refused'), [
      { name: 'title', type: 'text' },
      { name: 'small', type: 'file', maxSelect: 1, maxSize: 100 },
    ]);
  });
  afterAll(async () => {
    await own?.close();
  });

  test('a file larger than the field maxSize → 400 validation_file_size_limit; nothing stored', async () => {
    const err = await failure(
      own
        .newClient()
        .collection(col.name)
        .create({ title: 'big', small: textFile('x'.repeat(101)) }),
    );
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'small')).toBe('validation_file_size_limit');
    expect((await own.admin.collection(col.name).getList(1, 1)).totalItems).toBe(0);
    const exact = await own
      .newClient()
      .collection(col.name)
      .create({ small: textFile('y'.repeat(100)) });
    const dir = join(own.hearth.dir, 'storage', col.id);
    expect(filesUnder(dir)).toEqual([`${exact.id}/${exact['small'] as string}`]);
    expect(readFileSync(join(dir, exact.id, exact['small'] as string), 'utf8')).toBe('y'.repeat(100));
  });

  test('uploads refused for their size never leave temp files behind (repeated, some concurrent)', async () => {
    // The refusal comes with the file's first chunk, while its temp file may still be opening.
    const upload = () =>
      own
        .newClient()
        .collection(col.name)
        .create({ small: textFile('x'.repeat(200_000), 'over.txt') })
        .then(
          () => 'stored',
          (err: { status?: number }) => err.status,
        );
    const statuses: unknown[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await upload());
    for (let round = 0; round < 3; round++)
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, upload))));
    expect(new Set(statuses)).toEqual(new Set([400]));
    const tmp = join(own.hearth.dir, 'storage', '.tmp');
    for (let i = 0; i < 50 && filesUnder(tmp).length > 0; i++) await sleep(20);
    expect(filesUnder(tmp)).toEqual([]);
  });
});

describe('modifiers and replacing files', () => {
  test('files+ appends, +files prepends, files- removes (and deletes the stored file)', async () => {
    const col = s.newClient().collection(docs.name);
    const rec = await col.create({ files: [textFile('a', 'a1.txt'), textFile('b', 'b1.txt')] });
    const [a, b] = rec['files'] as [string, string];
    const dir = recordDir(docs, rec.id);

    const appended = await col.update(rec.id, { 'files+': textFile('c', 'third.txt') });
    const c = (appended['files'] as string[])[2]!;
    expect(appended['files']).toEqual([a, b, c]);
    expect(c).toMatch(STORED('third', '.txt'));

    const prepended = await col.update(rec.id, { '+files': [textFile('d', 'fourth.txt')] });
    const d = (prepended['files'] as string[])[0]!;
    expect(prepended['files']).toEqual([d, a, b, c]);
    expect(filesUnder(dir)).toEqual([a, b, c, d].sort());

    // Removing by name needs no multipart body.
    const removed = await col.update(rec.id, { 'files-': [a] });
    expect(removed['files']).toEqual([d, b, c]);
    expect(filesUnder(dir)).toEqual([b, c, d].sort());
    expect(readFileSync(join(dir, d), 'utf8')).toBe('d');
  });

  test('setting [kept name, new File] keeps that one, adds the upload and deletes the rest', async () => {
    const col = s.newClient().collection(docs.name);
    const rec = await col.create({
      files: [textFile('1', 'one.txt'), textFile('2', 'two.txt'), textFile('3', 'three.txt')],
    });
    const [one, two, three] = rec['files'] as [string, string, string];
    const updated = await col.update(rec.id, { files: [two, textFile('4', 'four.txt')] });
    const files = updated['files'] as string[];
    expect(files).toHaveLength(2);
    expect(files[0]).toBe(two);
    expect(files[1]).toMatch(STORED('four', '.txt'));
    const dir = recordDir(docs, rec.id);
    expect(filesUnder(dir)).toEqual([...files].sort());
    expect(existsSync(join(dir, one))).toBe(false);
    expect(existsSync(join(dir, three))).toBe(false);
    expect(readFileSync(join(dir, files[1]!), 'utf8')).toBe('4');
  });

  test('a name the record does not have → 400 validation_invalid_file; the record and disk unchanged', async () => {
    const col = s.newClient().collection(docs.name);
    const other = await col.create({ files: [textFile('other', 'other.txt')] });
    const rec = await col.create({ files: [textFile('mine', 'mine.txt')] });
    const mine = (rec['files'] as string[])[0]!;
    const foreign = (other['files'] as string[])[0]!;
    for (const files of [['nosuchfile_abcdefghij.txt'], [mine, foreign]]) {
      const err = await failure(col.update(rec.id, { files: [...files, textFile('new', 'new.txt')] }));
      expect(err.status).toBe(400);
      expect(fieldCode(err, 'files')).toBe('validation_invalid_file');
    }
    expect((await col.getOne(rec.id))['files']).toEqual([mine]);
    expect(filesUnder(recordDir(docs, rec.id))).toEqual([mine]);
    await expectNoTempFiles();
  });

  test('appending past maxSelect → 400 validation_too_many_files; the record and disk unchanged', async () => {
    const col = s.newClient().collection(docs.name);
    const five = Array.from({ length: 5 }, (_, i) => textFile(`n${i}`, `n${i}.txt`));
    const rec = await col.create({ files: five });
    const err = await failure(col.update(rec.id, { 'files+': textFile('sixth', 'sixth.txt') }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'files')).toBe('validation_too_many_files');
    expect((await col.getOne(rec.id))['files']).toEqual(rec['files']);
    expect(filesUnder(recordDir(docs, rec.id))).toEqual([...(rec['files'] as string[])].sort());
    await expectNoTempFiles();
  });

  test('a new upload to a single file field replaces the old file and its thumbs on disk', async () => {
    const col = s.newClient().collection(docs.name);
    const rec = await col.create({ images: [imageFile(await pngBuffer(60, 60), 'old.png')] });
    const old = (rec['images'] as string[])[0]!;
    const withSingle = await col.update(rec.id, { single: textFile('v1', 'version1.txt') });
    const v1 = withSingle['single'] as string;
    const res = await getFile(rec, old, { thumb: '100x100' });
    expect(res.status).toBe(200);
    const dir = recordDir(docs, rec.id);
    expect(existsSync(join(dir, `thumbs_${old}`, `100x100_${old}`))).toBe(true);

    const replaced = await col.update(rec.id, {
      single: textFile('v2', 'version2.txt'),
      images: [imageFile(await pngBuffer(60, 60, '#0f0'), 'new.png')],
    });
    const v2 = replaced['single'] as string;
    const fresh = (replaced['images'] as string[])[0]!;
    expect(v2).toMatch(STORED('version2', '.txt'));
    expect(filesUnder(dir)).toEqual([fresh, v2].sort());
    expect(existsSync(join(dir, v1))).toBe(false);
    expect(existsSync(join(dir, `thumbs_${old}`))).toBe(false);
  });

  test('setting a field to [] or null removes its files from the record and the disk', async () => {
    const col = s.newClient().collection(docs.name);
    const rec = await col.create({
      files: [textFile('x', 'x1.txt'), textFile('y', 'y1.txt')],
      single: textFile('z', 'z1.txt'),
    });
    const cleared = await col.update(rec.id, { files: [], single: null });
    expect(cleared['files']).toEqual([]);
    expect(cleared['single']).toBe('');
    expect(filesUnder(recordDir(docs, rec.id))).toEqual([]);
  });
});

describe('files go with their record and collection; failed writes leave nothing', () => {
  test('deleting the record deletes its folder, thumbs included', async () => {
    const col = s.newClient().collection(docs.name);
    const rec = await col.create({
      files: [textFile('bye', 'bye.txt')],
      images: [imageFile(await pngBuffer(30, 30), 'gone.png')],
    });
    const image = (rec['images'] as string[])[0]!;
    expect((await getFile(rec, image, { thumb: '100x100' })).status).toBe(200);
    expect(filesUnder(recordDir(docs, rec.id))).toEqual(
      [(rec['files'] as string[])[0]!, image, `thumbs_${image}/100x100_${image}`].sort(),
    );
    await col.delete(rec.id);
    expect(existsSync(recordDir(docs, rec.id))).toBe(false);
  });

  test('a record deleted by a cascade loses its files too', async () => {
    const parents = await createCollection(s.admin, unique('parents'), [{ name: 'title', type: 'text' }]);
    const children = await createCollection(s.admin, unique('children'), [
      { name: 'parent', type: 'relation', collectionId: parents.id, maxSelect: 1, cascadeDelete: true },
      { name: 'f', type: 'file', maxSelect: 1 },
    ]);
    const parent = await s.admin.collection(parents.name).create({ title: 'p' });
    const child = await s.admin
      .collection(children.name)
      .create({ parent: parent.id, f: textFile('child file', 'child.txt') });
    expect(filesUnder(recordDir(children, child.id))).toEqual([child['f']]);
    await s.admin.collection(parents.name).delete(parent.id);
    expect((await failure(s.admin.collection(children.name).getOne(child.id))).status).toBe(404);
    expect(existsSync(recordDir(children, child.id))).toBe(false);
  });

  test('deleting the collection deletes <storage>/<collectionId>', async () => {
    const temp = await createCollection(s.admin, unique('doomed'), [
      { name: 'f', type: 'file', maxSelect: 2 },
    ]);
    const rec = await s.admin.collection(temp.name).create({ f: [textFile('1', 'one.txt')] });
    expect(filesUnder(join(storage(), temp.id))).toEqual([`${rec.id}/${(rec['f'] as string[])[0]}`]);
    await s.admin.collections.delete(temp.id);
    expect(existsSync(join(storage(), temp.id))).toBe(false);
  });

  test('a create the createRule refuses stores nothing and leaves no temp files', async () => {
    const guarded = await createCollection(
      s.admin,
      unique('guarded'),
      [
        { name: 'title', type: 'text' },
        { name: 'f', type: 'file', maxSelect: 3 },
      ],
      { createRule: 'title = "ok"' },
    );
    const err = await failure(
      s
        .newClient()
        .collection(guarded.name)
        .create({ title: 'no', f: [textFile('1', 'one.txt'), textFile('2', 'two.txt')] }),
    );
    expect(err.status).toBe(400);
    expect(filesUnder(join(storage(), guarded.id))).toEqual([]);
    await expectNoTempFiles();
    // The same request with a passing title stores both.
    const ok = await s
      .newClient()
      .collection(guarded.name)
      .create({ title: 'ok', f: [textFile('1', 'one.txt'), textFile('2', 'two.txt')] });
    expect(filesUnder(join(storage(), guarded.id, ok.id))).toHaveLength(2);
  });

  test('a validation error on another field stores nothing', async () => {
    const strict = await createCollection(s.admin, unique('strict'), [
      { name: 'title', type: 'text', required: true },
      { name: 'f', type: 'file', maxSelect: 1 },
    ]);
    const err = await failure(
      s
        .newClient()
        .collection(strict.name)
        .create({ f: textFile('orphan') }),
    );
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'title')).toBe('validation_required');
    expect(filesUnder(join(storage(), strict.id))).toEqual([]);
    await expectNoTempFiles();
  });

  test('an update the updateRule refuses keeps the old file and stores no new one', async () => {
    const locked = await createCollection(
      s.admin,
      unique('locked'),
      [
        { name: 'title', type: 'text' },
        { name: 'f', type: 'file', maxSelect: 1 },
      ],
      { updateRule: 'title = "editable"' },
    );
    const rec = await s.admin
      .collection(locked.name)
      .create({ title: 'fixed', f: textFile('keep', 'keep.txt') });
    const err = await failure(
      s
        .newClient()
        .collection(locked.name)
        .update(rec.id, { f: textFile('new', 'new.txt') }),
    );
    expect(err.status).toBe(404);
    expect(filesUnder(join(storage(), locked.id))).toEqual([`${rec.id}/${rec['f'] as string}`]);
    await expectNoTempFiles();
  });
});

describe('GET /api/files', () => {
  const content = 'Hello, files! 0123456789';
  let rec: RecordModel;
  let name: string;
  let png: Buffer;
  let image: RecordModel;
  let imageName: string;

  beforeAll(async () => {
    rec = await s.admin.collection(docs.name).create({ single: textFile(content, 'Served.txt') });
    name = rec['single'] as string;
    png = await pngBuffer(200, 100);
    image = await s.admin.collection(docs.name).create({ images: [imageFile(png)] });
    imageName = (image['images'] as string[])[0]!;
  });

  test('200 with the bytes, the sniffed type, nosniff, a sandboxing CSP and an ETag', async () => {
    const res = await getFile(rec, name);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(content);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(content.length));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain('sandbox');
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
  });

  test('the collection may be addressed by name or id', async () => {
    const byName = await fetch(`${s.url}/api/files/${docs.name}/${rec.id}/${name}`);
    const byId = await fetch(`${s.url}/api/files/${docs.id}/${rec.id}/${name}`);
    expect([byName.status, byId.status]).toEqual([200, 200]);
    expect(await byName.text()).toBe(content);
    expect(await byId.text()).toBe(content);
  });

  test('If-None-Match with the ETag → 304 with no body', async () => {
    const etag = (await getFile(rec, name)).headers.get('etag')!;
    const res = await getFile(rec, name, {}, { headers: { 'If-None-Match': etag } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect((await getFile(rec, name, {}, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
  });

  test('Range: bytes=0-4 → 206 with exactly those bytes and Content-Range', async () => {
    const res = await getFile(rec, name, {}, { headers: { Range: 'bytes=0-4' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 0-4/${content.length}`);
    expect(res.headers.get('content-length')).toBe('5');
    expect(await res.text()).toBe(content.slice(0, 5));
  });

  test('Range: bytes=-3 → the last 3 bytes; bytes=7- → from byte 7 to the end', async () => {
    const last = await getFile(rec, name, {}, { headers: { Range: 'bytes=-3' } });
    expect(last.status).toBe(206);
    expect(last.headers.get('content-range')).toBe(
      `bytes ${content.length - 3}-${content.length - 1}/${content.length}`,
    );
    expect(await last.text()).toBe(content.slice(-3));
    const tail = await getFile(rec, name, {}, { headers: { Range: 'bytes=7-' } });
    expect(tail.status).toBe(206);
    expect(await tail.text()).toBe(content.slice(7));
  });

  test('Range starting at the size → 416 with Content-Range: bytes */size', async () => {
    const res = await getFile(rec, name, {}, { headers: { Range: `bytes=${content.length}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${content.length}`);
  });

  test('HEAD answers the headers with no body', async () => {
    const res = await getFile(rec, name, {}, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(content.length));
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  test('Content-Disposition: images inline, text and HTML attachments, download=1 always an attachment', async () => {
    const img = await getFile(image, imageName);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('content-disposition')).toMatch(/^inline/);
    expect(await bytesOf(img)).toEqual(png);
    for (const download of ['1', true]) {
      const dl = await getFile(image, imageName, { download });
      expect(dl.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(dl.headers.get('content-disposition')).toContain(imageName);
    }
    expect((await getFile(rec, name)).headers.get('content-disposition')).toMatch(/^attachment/);

    // HTML (whatever the client claims) is never rendered inline, and sandboxed if opened anyway.
    const page = await s.admin.collection(docs.name).create({
      single: new File(['<!doctype html><script>alert(1)</script>'], 'page.png', { type: 'image/png' }),
    });
    const html = await getFile(page, page['single'] as string);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(html.headers.get('content-security-policy')).toContain('sandbox');
    const svg = await s.admin.collection(docs.name).create({
      single: new File(
        ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
        'logo.svg',
      ),
    });
    const svgRes = await getFile(svg, svg['single'] as string);
    expect(svgRes.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(svgRes.headers.get('content-disposition')).toMatch(/^attachment/);
  });

  test('an unknown file name, record or collection → 404', async () => {
    expect((await getFile(rec, 'nosuchfile_abcdefghij.txt')).status).toBe(404);
    expect((await getFile({ ...rec, id: 'nosuchid0000000' }, name)).status).toBe(404);
    expect(
      (await getFile({ ...rec, collectionId: 'nosuchcollection', collectionName: '' }, name)).status,
    ).toBe(404);
    // A file of another record, asked for under this one.
    expect((await getFile(rec, imageName)).status).toBe(404);
  });

  test.each([
    ['../ in the name', (id: string) => `/api/files/${docs.name}/${id}/..%2F..%2F..%2Fdata.db`],
    ['%2e%2e segments', (id: string) => `/api/files/${docs.name}/${id}/%2e%2e/%2e%2e/%2e%2e/data.db`],
    ['double-encoded', (id: string) => `/api/files/${docs.name}/${id}/%252e%252e%252fdata.db`],
    ['backslashes', (id: string) => `/api/files/${docs.name}/${id}/..%5c..%5c..%5cdata.db`],
    ['a NUL byte', (id: string) => `/api/files/${docs.name}/${id}/data.db%00.txt`],
    ['a dot-dot record id', () => `/api/files/${docs.name}/..%2F..%2F/data.db`],
  ])('a path with %s never reaches a file outside the record folder', async (_label, path) => {
    const res = await rawGet(path(rec.id));
    expect([400, 403, 404]).toContain(res.status);
    expect(res.body).not.toContain('SQLite format');
  });
});

describe('thumbs', () => {
  let image: RecordModel;
  let name: string;
  let png: Buffer;

  beforeAll(async () => {
    png = await pngBuffer(200, 100);
    image = await s.admin.collection(docs.name).create({ images: [imageFile(png, 'Wide Picture.png')] });
    name = (image['images'] as string[])[0]!;
  });

  const dimensions = async (res: Response) => {
    expect(res.status).toBe(200);
    const meta = await sharp(await bytesOf(res)).metadata();
    return [meta.width, meta.height];
  };

  test.each([
    { thumb: '50x20', size: [50, 20], label: 'WxH crops to exactly WxH' },
    { thumb: '50x20t', size: [50, 20], label: 'WxHt crops from the top to exactly WxH' },
    { thumb: '40x40f', size: [40, 20], label: 'WxHf fits inside keeping the aspect ratio' },
    { thumb: '0x30', size: [60, 30], label: '0xH keeps the aspect ratio' },
    { thumb: '30x0', size: [30, 15], label: 'Wx0 keeps the aspect ratio' },
    { thumb: '100x100', size: [100, 100], label: 'the default 100x100 is always offered' },
  ])('thumb=$thumb: $label', async ({ thumb, size }) => {
    const res = await getFile(image, name, { thumb });
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(await dimensions(res)).toEqual(size);
  });

  test('WxHf never enlarges a smaller image', async () => {
    const tiny = await s.admin
      .collection(docs.name)
      .create({ images: [imageFile(await pngBuffer(20, 10), 'tiny.png')] });
    const res = await getFile(tiny, (tiny['images'] as string[])[0]!, { thumb: '40x40f' });
    expect(await dimensions(res)).toEqual([20, 10]);
  });

  test('a JPEG thumb stays a JPEG', async () => {
    const jpg = await s.admin
      .collection(docs.name)
      .create({ images: [imageFile(await jpegBuffer(120, 80), 'photo.jpg', 'image/jpeg')] });
    const res = await getFile(jpg, (jpg['images'] as string[])[0]!, { thumb: '50x20' });
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(await dimensions(res)).toEqual([50, 20]);
  });

  test('a size the field does not list → the original bytes', async () => {
    const res = await getFile(image, name, { thumb: '70x70' });
    expect(res.status).toBe(200);
    expect(await bytesOf(res)).toEqual(png);
    expect(existsSync(join(recordDir(docs, image.id), `thumbs_${name}`, `70x70_${name}`))).toBe(false);
  });

  test('a thumb of a file that is not an image → the original file', async () => {
    const rec = await s.admin.collection(docs.name).create({ single: textFile('plain text', 'text.txt') });
    const res = await getFile(rec, rec['single'] as string, { thumb: '100x100' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('plain text');
  });

  test('a thumb is made once: stored under thumbs_<name>/<size>_<name>, then served from disk', async () => {
    const rec = await s.admin
      .collection(docs.name)
      .create({ images: [imageFile(await pngBuffer(90, 90, '#0f0'), 'once.png')] });
    const n = (rec['images'] as string[])[0]!;
    const path = join(recordDir(docs, rec.id), `thumbs_${n}`, `50x20_${n}`);
    expect(existsSync(path)).toBe(false);
    const first = await bytesOf(await getFile(rec, n, { thumb: '50x20' }));
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path)).toEqual(first);
    const made = statSync(path).mtimeMs;
    const second = await bytesOf(await getFile(rec, n, { thumb: '50x20' }));
    expect(second).toEqual(first);
    expect(statSync(path).mtimeMs).toBe(made);
  });
});

describe('protected files', () => {
  let vault: CollectionModel;
  let alice: { record: RecordModel; client: PocketBase; token: string };
  let bob: { record: RecordModel; client: PocketBase; token: string };
  let secret: RecordModel;
  let name: string;

  beforeAll(async () => {
    alice = await s.signUp('users', { name: 'alice' });
    bob = await s.signUp('users', { name: 'bob' });
    vault = await createCollection(
      s.admin,
      unique('vault'),
      [
        { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
        { name: 'doc', type: 'file', maxSelect: 1, protected: true },
      ],
      { listRule: 'owner = @request.auth.id', viewRule: 'owner = @request.auth.id' },
    );
    secret = await alice.client
      .collection(vault.name)
      .create({ owner: alice.record.id, doc: textFile('top secret', 'secret.txt') });
    name = secret['doc'] as string;
  });

  test('POST /api/files/token needs auth: anonymous → 401', async () => {
    const err = await failure(s.newClient().files.getToken());
    expect(err.status).toBe(401);
  });

  test('no token → 403', async () => {
    const res = await getFile(secret, name);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('top secret');
  });

  test("the owner's file token (passes the viewRule) → 200 with the bytes, privately cached", async () => {
    const token = await alice.client.files.getToken();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const res = await getFile(secret, name, { token });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('top secret');
    expect(res.headers.get('cache-control')).toContain('private');
  });

  test("another user's file token (the viewRule refuses them) → 403", async () => {
    const token = await bob.client.files.getToken();
    const res = await getFile(secret, name, { token });
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain('top secret');
  });

  test('an auth token (not a file token) passed as ?token= → 403', async () => {
    const res = await getFile(secret, name, { token: alice.token });
    expect(res.status).toBe(403);
  });

  test('a tampered or garbage token → 403', async () => {
    const token = await alice.client.files.getToken();
    const [h, p] = token.split('.');
    for (const bad of ['garbage', `${h}.${p}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`]) {
      expect((await getFile(secret, name, { token: bad })).status).toBe(403);
    }
  });

  test("a file token stops working when its owner's password changes", async () => {
    const carol = await s.signUp('users', { name: 'carol' });
    const mine = await carol.client
      .collection(vault.name)
      .create({ owner: carol.record.id, doc: textFile('carol only', 'carol.txt') });
    const token = await carol.client.files.getToken();
    expect((await getFile(mine, mine['doc'] as string, { token })).status).toBe(200);
    await carol.client.collection('users').update(carol.record.id, {
      oldPassword: PASSWORD,
      password: 'another-pass-word-1',
      passwordConfirm: 'another-pass-word-1',
    });
    expect((await getFile(mine, mine['doc'] as string, { token })).status).toBe(403);
  });

  test("a superuser's file token → 200", async () => {
    const token = await s.admin.files.getToken();
    const res = await getFile(secret, name, { token });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('top secret');
  });

  test('a file token stops working once it expires (fileToken.duration)', async () => {
    await s.admin.collections.update('users', { fileToken: { duration: 2 } });
    try {
      const token = await alice.client.files.getToken();
      const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number })
        .exp;
      expect(exp * 1000 - Date.now()).toBeLessThanOrEqual(2000);
      expect((await getFile(secret, name, { token })).status).toBe(200);
      await sleep(exp * 1000 - Date.now() + 150);
      const res = await getFile(secret, name, { token });
      expect(res.status).toBe(403);
    } finally {
      await s.admin.collections.update('users', { fileToken: { duration: 180 } });
    }
  });

  test('files that are not protected need no token, even when the viewRule refuses the reader', async () => {
    const closed = await createCollection(
      s.admin,
      unique('closed'),
      [{ name: 'f', type: 'file', maxSelect: 1 }],
      {
        listRule: null,
        viewRule: null,
      },
    );
    const rec = await s.admin.collection(closed.name).create({ f: textFile('public bytes', 'open.txt') });
    expect((await failure(s.newClient().collection(closed.name).getOne(rec.id))).status).toBe(403);
    const res = await getFile(rec, rec['f'] as string);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('public bytes');
  });
});

describe('batch uploads', () => {
  beforeAll(async () => {
    await s.admin.settings.update({ batch: { enabled: true, maxRequests: 50 } });
  });

  test('files in batch creates are stored for each record and served', async () => {
    const pb = s.newClient();
    const batch = pb.createBatch();
    batch.collection(docs.name).create({ title: 'batch one', files: [textFile('b1', 'batch one.txt')] });
    batch.collection(docs.name).create({
      title: 'batch two',
      files: [textFile('b2a', 'two a.txt'), textFile('b2b', 'two b.txt')],
      single: textFile('b2s', 'two single.txt'),
    });
    const results = (await batch.send()) as { status: number; body: RecordModel }[];
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const [one, two] = results.map((r) => r.body) as [RecordModel, RecordModel];
    expect(one['files']).toEqual([expect.stringMatching(STORED('batch_one', '.txt'))]);
    expect(two['files']).toEqual([
      expect.stringMatching(STORED('two_a', '.txt')),
      expect.stringMatching(STORED('two_b', '.txt')),
    ]);
    expect(filesUnder(recordDir(docs, one.id))).toEqual(one['files']);
    expect(filesUnder(recordDir(docs, two.id))).toEqual(
      [...(two['files'] as string[]), two['single'] as string].sort(),
    );
    expect(await (await getFile(two, (two['files'] as string[])[1]!)).text()).toBe('b2b');
    expect(await (await getFile(two, two['single'] as string)).text()).toBe('b2s');
    await expectNoTempFiles();
  });

  test('batch updates take files+ and files- like single requests', async () => {
    const rec = await s.admin
      .collection(docs.name)
      .create({ files: [textFile('keep', 'keep.txt'), textFile('drop', 'drop.txt')] });
    const [keep, drop] = rec['files'] as [string, string];
    const batch = s.newClient().createBatch();
    batch.collection(docs.name).update(rec.id, { 'files+': [textFile('added', 'added.txt')] });
    batch.collection(docs.name).update(rec.id, { 'files-': [drop] });
    const results = (await batch.send()) as { status: number; body: RecordModel }[];
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const files = results[1]!.body['files'] as string[];
    expect(files).toEqual([keep, expect.stringMatching(STORED('added', '.txt'))]);
    expect(filesUnder(recordDir(docs, rec.id))).toEqual([...files].sort());
    expect(readFileSync(join(recordDir(docs, rec.id), files[1]!), 'utf8')).toBe('added');
  });

  test('a failing batch (second request invalid) leaves no files on disk', async () => {
    const before = filesUnder(join(storage(), docs.id));
    const batch = s.newClient().createBatch();
    batch.collection(docs.name).create({ title: 'rolled back', files: [textFile('r1', 'rolled.txt')] });
    batch.collection(docs.name).create({ title: 'too big', small: textFile('z'.repeat(101), 'big.txt') });
    const err = await failure(batch.send());
    expect(err.status).toBe(400);
    const failed = (err.response['data'] as { requests?: Record<string, { response?: { data?: unknown } }> })
      .requests?.['1'];
    expect(failed?.response?.data).toMatchObject({ small: { code: 'validation_file_size_limit' } });
    expect(filesUnder(join(storage(), docs.id))).toEqual(before);
    expect(
      (await s.admin.collection(docs.name).getList(1, 1, { filter: 'title = "rolled back"' })).totalItems,
    ).toBe(0);
    await expectNoTempFiles();
  });

  test('a batch whose later request fails after an earlier one stored files rolls those files back', async () => {
    const strict = await createCollection(s.admin, unique('strict'), [
      { name: 'title', type: 'text', required: true },
    ]);
    const before = filesUnder(join(storage(), docs.id));
    const batch = s.newClient().createBatch();
    batch.collection(docs.name).create({ title: 'first', files: [textFile('k', 'kept.txt')] });
    batch.collection(docs.name).create({ title: 'second', single: textFile('s', 'second.txt') });
    batch.collection(strict.name).create({ title: '' });
    const err = await failure(batch.send());
    expect(err.status).toBe(400);
    expect(Object.keys((err.response['data'] as { requests: object }).requests)).toEqual(['2']);
    expect(filesUnder(join(storage(), docs.id))).toEqual(before);
    await expectNoTempFiles();
  });
});
