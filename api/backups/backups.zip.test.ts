import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import { afterEach, describe, expect, test } from 'vitest';
import { BackupError } from './backups.manifest';
import { locate, removeTempDirs, tempDir, zipOf } from './backups.testing';
import { listZipFile, readEntry } from './backups.zip.read';
import { ZipWriter } from './backups.zip.write';

afterEach(removeTempDirs);

const LIMITS = { maxEntries: 100, maxDirectoryBytes: 1 << 20 };

const files: [string, Uint8Array, boolean][] = [
  ['data.db', Buffer.from('SQLite format 3\0'.repeat(5000)), true],
  ['storage/a/photo.jpg', randomBytes(200_000), false],
  ['storage/a/über.txt', Buffer.from('Grüße '.repeat(10_000)), true],
  ['storage/b/empty', new Uint8Array(0), true],
  ['storage/b/empty-stored', new Uint8Array(0), false],
];

async function writeZip(path: string, forceZip64: boolean): Promise<void> {
  const file = await open(path, 'wx');
  const writer = new ZipWriter(file, new Date('2026-11-22T02:30:04Z'), forceZip64);
  for (const [name, data, deflate] of files) {
    const digest = await writer.add(name, Readable.from([data.subarray(0, 7), data.subarray(7)]), {
      deflate,
      expectedSize: data.length,
    });
    expect(digest).toEqual({ size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
  }
  await writer.finish();
  await file.close();
}

/** name → SHA-256 (comparing digests is much faster than comparing buffers deeply). */
function digests(entries: Record<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).map(([name, data]) => [name, createHash('sha256').update(data).digest('hex')]),
  );
}

/** Every entry through our reader: name → bytes. */
async function readAll(path: string): Promise<Record<string, Buffer>> {
  const file = await open(path, 'r');
  try {
    const out: Record<string, Buffer> = {};
    for (const entry of await listZipFile(file, LIMITS)) {
      const chunks: Buffer[] = [];
      await readEntry(file, entry, async (chunk) => void chunks.push(chunk));
      out[entry.name] = Buffer.concat(chunks);
    }
    return out;
  } finally {
    await file.close();
  }
}

async function refusal(bytes: Uint8Array): Promise<BackupError> {
  const path = join(tempDir(), 'x.zip');
  writeFileSync(path, bytes);
  const error = await readAll(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(BackupError);
  return error as BackupError;
}

describe('ZipWriter output reads back exactly', () => {
  test.each([false, true])('ZIP64 records forced: %s', async (forceZip64) => {
    const path = join(tempDir(), 'out.zip');
    await writeZip(path, forceZip64);
    const expected = digests(Object.fromEntries(files.map(([name, data]) => [name, data])));
    // fflate and Info-ZIP are readers independent of ours.
    expect(digests(unzipSync(readFileSync(path)))).toEqual(expected);
    expect(digests(await readAll(path))).toEqual(expected);
    if (existsSync('/usr/bin/unzip')) {
      expect(execFileSync('/usr/bin/unzip', ['-t', path]).toString()).toMatch(/No errors detected/);
      expect(execFileSync('/usr/bin/zipinfo', [path]).toString()).toMatch(/-rw-r--r--.*data\.db/);
    }
    const file = await open(path, 'r');
    const entries = await listZipFile(file, LIMITS).finally(() => file.close());
    expect(entries.map((e) => [e.name, e.method, e.mode])).toEqual(
      files.map(([name, , deflate]) => [name, deflate ? 8 : 0, 0o100644]),
    );
  });
});

describe('the reader refuses', () => {
  const honest = () => zipOf({ 'storage/a': Buffer.from('a'.repeat(1000)), 'storage/b': Buffer.from('b') });

  test('a file that is not a zip, an empty one, and a zip cut short', async () => {
    expect((await refusal(Buffer.from('hello, not a zip at all'))).code).toBe('not-a-backup');
    expect((await refusal(new Uint8Array(0))).code).toBe('not-a-backup');
    const zip = honest();
    for (const length of [zip.length - 1, zip.length - 22, Math.floor(zip.length / 2), 10]) {
      expect((await refusal(zip.subarray(0, length))).code).toBe('corrupt');
    }
  });

  test('two central records for one stream (work multiplied without more bytes)', async () => {
    const zip = Buffer.from(honest());
    const a = locate(zip, 'storage/a');
    const b = locate(zip, 'storage/b');
    zip.writeUInt32LE(a.local, b.central + 42); // b's record now points at a's data
    expect(await refusal(zip)).toMatchObject({ code: 'corrupt' });
  });

  test('a local header that names another file than its central record', async () => {
    const zip = Buffer.from(honest());
    const { local } = locate(zip, 'storage/b');
    zip.write('c', local + 30 + 'storage/'.length);
    expect(await refusal(zip)).toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(/names another file/),
    });
  });

  test('a changed byte of data (CRC)', async () => {
    const zip = Buffer.from(zipOf({ 'storage/a': Buffer.from('a'.repeat(1000)) }));
    zip[30 + 'storage/a'.length + 2]! ^= 0xff;
    expect((await refusal(zip)).code).toBe('corrupt');
  });

  test('more entries or a larger directory than the limits', async () => {
    const path = join(tempDir(), 'x.zip');
    writeFileSync(path, zipOf({ 'storage/a': Buffer.from('a'), 'storage/b': Buffer.from('b') }));
    const file = await open(path, 'r');
    try {
      await expect(listZipFile(file, { maxEntries: 1, maxDirectoryBytes: 1 << 20 })).rejects.toMatchObject({
        code: 'too-large',
      });
      await expect(listZipFile(file, { maxEntries: 10, maxDirectoryBytes: 50 })).rejects.toMatchObject({
        code: 'too-large',
      });
    } finally {
      await file.close();
    }
  });
});
