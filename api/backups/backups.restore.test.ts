import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, Zip, ZipPassThrough } from 'fflate';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBackup, verifyBackup } from './backups.archive';
import { BackupError, MANIFEST_ENTRY, type BackupManifest } from './backups.manifest';
import { restoreBackup } from './backups.restore';
import type { BackupLimits } from './backups.unpack';
import {
  BUILD,
  declareSize,
  manifestFor,
  readItems,
  removeTempDirs,
  sampleFiles,
  sideFiles,
  tempDir,
  testData,
  tree,
  unzipFile,
  VERSION,
  zipOf,
} from './backups.testing';

/**
 * Restoring, and refusing to: every bad archive of QUALITY.md's table is refused with a clear code
 * before the live data folder changes by a byte, and a failure during the swap puts it back.
 */

let good: string; // a backup of other data than the live folder's
let goodEntries: Record<string, Uint8Array>;
let goodItems: { id: number; body: string }[];
let work: string;

beforeAll(async () => {
  work = tempDir();
  const source = testData({ files: { 'storage/pbc_9/rec9/other_0123456789.txt': 'from the backup' } });
  source.addItems(40, 500);
  goodItems = source.items();
  good = join(work, 'good.zip');
  await createBackup({ db: source.stores.db, dataDir: source.dir, outFile: good, version: VERSION });
  source.close();
  goodEntries = unzipFile(good);
});

afterAll(removeTempDirs);

/** A live data folder, closed as the caller guarantees, with files a restore must keep. */
function liveFolder(): string {
  const live = testData({ files: { ...sampleFiles(), ...sideFiles() } });
  live.addItems(7);
  live.close();
  return live.dir;
}

/**
 * The backup's entries with `changes` (null removes one) and a manifest that lists them all, with
 * `manifest` changes, in `declared` other sizes for some entries, and in `attrs` Unix modes.
 */
function consistent(
  changes: Record<string, Uint8Array | null>,
  manifest: Partial<BackupManifest> = {},
  declared: Record<string, number> = {},
  attrs: Record<string, number> = {},
): Uint8Array {
  const entries = { ...goodEntries };
  delete entries[MANIFEST_ENTRY];
  for (const [name, data] of Object.entries(changes)) {
    if (data === null) delete entries[name];
    else entries[name] = data;
  }
  const listed = JSON.parse(Buffer.from(manifestFor(entries, manifest)).toString()) as BackupManifest;
  for (const entry of listed.entries) entry.size = declared[entry.path] ?? entry.size;
  return zipOf({ ...entries, [MANIFEST_ENTRY]: Buffer.from(JSON.stringify(listed)) }, attrs);
}

/** The backup's entries with `changes` but its own manifest. */
function withOldManifest(changes: Record<string, Uint8Array | null>): Uint8Array {
  const entries = { ...goodEntries };
  for (const [name, data] of Object.entries(changes)) {
    if (data === null) delete entries[name];
    else entries[name] = data;
  }
  return zipOf(entries);
}

/** fflate's streaming Zip, which (unlike an object) can hold one name twice. */
function zipWithDuplicate(name: string): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  const entries = { ...goodEntries, [name]: strToU8('x') };
  entries[MANIFEST_ENTRY] = manifestFor(entries);
  for (const [entry, data] of [...Object.entries(entries), [name, strToU8('y')] as const]) {
    const file = new ZipPassThrough(entry);
    zip.add(file);
    file.push(data, true);
  }
  zip.end();
  return Buffer.concat(parts);
}

/** A database file made by `setup`, starting from a copy of `from` (or an empty file). */
function dbWith(setup: (db: BetterSqlite3.Database) => void, from?: Uint8Array): Uint8Array {
  const file = join(tempDir(), 'x.db');
  if (from) writeFileSync(file, from);
  const db = new BetterSqlite3(file);
  setup(db);
  db.pragma('journal_mode = DELETE');
  db.close();
  return readFileSync(file);
}

/**
 * The backup's data.db with an index that no longer matches its table: every page is well formed
 * (`quick_check` passes), only the full `integrity_check` sees it.
 */
function inconsistentDatabase(): Uint8Array {
  const bytes = Buffer.from(
    dbWith((db) => {
      db.exec('CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x)');
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      for (let i = 0; i < 50; i++) insert.run(`value-${String(i).padStart(3, '0')}`);
    }, goodEntries['data.db']),
  );
  const at = bytes.indexOf('value-010', bytes.lastIndexOf('value-049') + 1);
  bytes.write('value-999', at === -1 ? bytes.indexOf('value-010') : at);
  return bytes;
}

/** data.db from the backup with the cells of the items table's root page overwritten (the manifest's hash matches). */
function damagedDatabase(): Uint8Array {
  const file = join(tempDir(), 'data.db');
  writeFileSync(file, goodEntries['data.db']!);
  const db = new BetterSqlite3(file, { readonly: true });
  const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'items'").pluck().get() as number;
  db.close();
  const bytes = readFileSync(file);
  const pageSize = bytes.readUInt16BE(16);
  bytes.fill(0xa5, (root - 1) * pageSize + 12, root * pageSize);
  return bytes;
}

const zeros = new Uint8Array(64 * 1024 * 1024);

const cases: [string, () => Uint8Array, BackupError['code'], BackupLimits?][] = [
  ['an entry ../x', () => consistent({ '../x': strToU8('x') }), 'unsafe-path'],
  ['an entry storage/../../x', () => consistent({ 'storage/../../x': strToU8('x') }), 'unsafe-path'],
  ['an absolute entry /etc/x', () => consistent({ '/etc/x': strToU8('x') }), 'unsafe-path'],
  ['an entry ..\\x', () => consistent({ '..\\x': strToU8('x') }), 'unsafe-path'],
  ['an entry C:/x', () => consistent({ 'C:/x': strToU8('x') }), 'unsafe-path'],
  ['an entry with NUL', () => consistent({ 'storage/a\u0000.jpg': strToU8('x') }), 'unsafe-path'],
  [
    'an entry outside data.db and storage/',
    () => consistent({ 'auxiliary.db': strToU8('x') }),
    'unsafe-path',
  ],
  [
    'a symbolic link',
    () =>
      consistent(
        { 'storage/pbc_9/link': strToU8('/etc/passwd') },
        {},
        {},
        { 'storage/pbc_9/link': 0o120777 },
      ),
    'unsafe-path',
  ],
  ['one name twice', () => zipWithDuplicate('storage/pbc_9/dup'), 'unsafe-path'],
  [
    'a file that is a folder too',
    () => consistent({ 'storage/a': strToU8('x'), 'storage/a/b': strToU8('y') }),
    'unsafe-path',
  ],
  [
    'a zip bomb over the cap',
    () => consistent({ 'storage/zeros': zeros }),
    'too-large',
    { maxBytes: 16 * 1024 * 1024 },
  ],
  [
    'a zip bomb declaring a small size (inflates past it)',
    () =>
      declareSize(
        consistent({ 'storage/zeros': zeros }, {}, { 'storage/zeros': 1 << 20 }),
        'storage/zeros',
        1 << 20,
      ),
    'corrupt',
  ],
  [
    'a zip bomb declaring more than deflate can make',
    () =>
      declareSize(
        consistent({ 'storage/zeros': zeros }, {}, { 'storage/zeros': 0xfffffff0 }),
        'storage/zeros',
        0xfffffff0,
      ),
    'too-large',
  ],
  ['an archive over the cap', () => readFileSync(good), 'too-large', { maxBytes: 1000 }],
  ['more entries than allowed', () => readFileSync(good), 'too-large', { maxEntries: 1 }],
  ['an archive cut in half', () => readFileSync(good).subarray(0, statSync(good).size >> 1), 'corrupt'],
  [
    'an archive missing its last byte',
    () => readFileSync(good).subarray(0, statSync(good).size - 1),
    'corrupt',
  ],
  [
    'an entry the manifest does not list',
    () => withOldManifest({ 'storage/pbc_9/extra': strToU8('x') }),
    'corrupt',
  ],
  [
    'an entry the manifest lists, missing',
    () => withOldManifest({ 'storage/pbc_9/rec9/other_0123456789.txt': null }),
    'corrupt',
  ],
  [
    'a size other than the manifest says',
    () => withOldManifest({ 'storage/pbc_9/rec9/other_0123456789.txt': strToU8('from the backup!') }),
    'corrupt',
  ],
  ['a changed byte of the archive (CRC)', () => flipByte(readFileSync(good), 200), 'corrupt'],
  [
    'a changed file under its old manifest',
    () => withOldManifest({ 'storage/pbc_9/rec9/other_0123456789.txt': strToU8('FROM the backup') }),
    'hash-mismatch',
  ],
  [
    'a manifest from a newer Hearth',
    () => consistent({}, { migrations: [...BUILD.knownMigrations, 'future/20991231000000_x'] }),
    'newer',
  ],
  ['a manifest of a newer format', () => consistent({}, { format: 2 }), 'newer'],
  ['no manifest', () => withOldManifest({ [MANIFEST_ENTRY]: null }), 'not-a-backup'],
  ['no data.db', () => consistent({ 'data.db': null }), 'not-a-backup'],
  ['a file that is not a zip', () => strToU8('PK? no: a text file'), 'not-a-backup'],
  ['an empty file', () => new Uint8Array(0), 'not-a-backup'],
  ['a data.db that is not SQLite', () => consistent({ 'data.db': strToU8('x'.repeat(4096)) }), 'corrupt'],
  [
    'a data.db of another application',
    () => consistent({ 'data.db': dbWith((db) => db.exec('CREATE TABLE t (x)')) }),
    'not-a-backup',
  ],
  ['an empty data.db', () => consistent({ 'data.db': dbWith(() => undefined) }), 'corrupt'],
  [
    'a data.db whose index disagrees with its table',
    () => consistent({ 'data.db': inconsistentDatabase() }),
    'corrupt',
  ],
  ['a data.db with damaged pages', () => consistent({ 'data.db': damagedDatabase() }), 'corrupt'],
  [
    'a data.db without the migrations the manifest lists',
    () => consistent({}, { migrations: BUILD.knownMigrations.slice(1) }),
    'corrupt',
  ],
];

function flipByte(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at]! ^= 0xff;
  return out;
}

describe('bad archives are refused before the live data changes', () => {
  test.each(cases.map(([name, build, code, limits]) => ({ name, build, code, limits })))(
    '$name → $code',
    async ({ build, code, limits = {} }) => {
      const live = liveFolder();
      const file = join(work, `bad-${Math.random().toString(36).slice(2)}.zip`);
      writeFileSync(file, build());
      const before = tree(live);

      for (const attempt of [
        () => verifyBackup(file, { ...BUILD, ...limits }),
        () => restoreBackup({ file, dataDir: live, ...BUILD, ...limits }),
      ]) {
        const error = await attempt().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(BackupError);
        expect(error).toMatchObject({ code, message: expect.stringMatching(/\w/) });
      }
      expect(tree(live)).toEqual(before);
      expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]); // verify's temporary folder
    },
  );
});

describe('restoring over a live folder', () => {
  test('replaces data.db and storage/, keeps auxiliary.db, backups/ and nothing else', async () => {
    const live = liveFolder();
    const before = tree(live);
    await restoreBackup({ file: good, dataDir: live, ...BUILD });
    const after = tree(live);
    for (const kept of ['auxiliary.db', 'backups/older.zip']) expect(after[kept]).toBe(before[kept]);
    expect(
      Object.keys(after)
        .filter((p) => p.startsWith('storage/'))
        .sort(),
    ).toEqual(['storage/pbc_9', 'storage/pbc_9/rec9', 'storage/pbc_9/rec9/other_0123456789.txt']);
    expect(readdirSync(live).sort()).toEqual(['auxiliary.db', 'backups', 'data.db', 'storage']);
    const back = testData({ dir: live });
    expect(readItems(back.stores)).toEqual(goodItems);
    back.close();
  });

  test('the WAL of the data it replaces is not replayed into the restored database', async () => {
    // A server killed mid-write leaves data.db-wal and -shm holding committed transactions.
    const crashed = testData();
    crashed.addItems(300, 200);
    const live = tempDir();
    for (const name of ['data.db', 'data.db-wal', 'data.db-shm'])
      copyFileSync(join(crashed.dir, name), join(live, name));
    crashed.close();
    expect(statSync(join(live, 'data.db-wal')).size).toBeGreaterThan(0);

    await restoreBackup({ file: good, dataDir: live, ...BUILD });
    expect(readdirSync(live).sort()).toEqual(['data.db', 'storage']);
    const back = testData({ dir: live });
    expect(readItems(back.stores)).toEqual(goodItems);
    expect(back.stores.db.sql.pragma('integrity_check', { simple: true })).toBe('ok');
    back.close();
  });

  test.each(['aside data.db', 'aside data.db-wal', 'aside storage', 'in data.db', 'in storage'])(
    'a failure at "%s" leaves the live data as it was',
    async (failing) => {
      const live = liveFolder();
      writeFileSync(join(live, 'data.db-wal'), ''); // as a server that stopped cleanly may leave it
      const before = tree(live);
      const steps: string[] = [];
      const error = await restoreBackup({
        file: good,
        dataDir: live,
        ...BUILD,
        onSwapStep(step) {
          steps.push(step);
          if (step === failing) throw new Error('disk on fire');
        },
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toMatchObject({
        code: 'swap-failed',
        message: expect.stringMatching(/disk on fire.*left as it was/),
      });
      expect(steps).toContain(failing);
      expect(tree(live)).toEqual(before);
    },
  );

  test('a data folder that does not exist yet is made', async () => {
    const target = join(tempDir(), 'a', 'b');
    mkdirSync(join(target, '..'), { recursive: true });
    await restoreBackup({ file: good, dataDir: target, ...BUILD });
    expect(readdirSync(target).sort()).toEqual(['data.db', 'storage']);
  });
});
