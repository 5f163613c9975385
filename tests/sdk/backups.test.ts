import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { applyPendingRestore } from '../../api/backups';
import { manifestFor, zipOf } from '../../api/backups/backups.testing';
import { silentLogger } from '../../api/core/logger';
import { migrations } from '../../api/migrations';
import { startServer, type RunningServer } from '../../api/server';
import { SUPERUSER, testHearth, withSuperuser, type TestHearth } from '../../api/testing/hearth';
import { HEARTH_VERSION } from '../../api/version';
import { createCollection, failure, fieldCode, send, startSdkServer, type SdkServer } from './server';

// Backups (issue 9) through the official SDK's `pb.backups`, as PocketBase's apis/backup.go answers
// them: list, create, download with a superuser file token, upload (checked as a restore would),
// delete and restore, superusers only; the settings backups.cron / backups.cronMaxKeep driving the
// built-in job __pbBackups__. The archive format itself is covered by api/backups/*.test.ts.

const BUILD = { knownMigrations: migrations.map((m) => m.id), version: HEARTH_VERSION };
const DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/;
const BUSY = 'Try again later - another backup/restore operation has already been started.';

let s: SdkServer;
let guest: PocketBase;
let user: PocketBase;

const backupsDir = () => join(s.hearth.dir, 'backups');
/** The file names in <dir>/backups, partial and temporary ones included ([] before the first backup). */
const onDisk = () => (existsSync(backupsDir()) ? readdirSync(backupsDir()).sort() : []);
const keys = async (pb = s.admin) => (await pb.backups.getFullList()).map((b) => b.key);
const uploadTemps = () => {
  const dir = join(s.hearth.dir, 'storage', '.tmp');
  return existsSync(dir) ? readdirSync(dir) : [];
};
const zipFile = (bytes: Uint8Array, name: string) =>
  new File([new Uint8Array(bytes)], name, { type: 'application/zip' });

beforeAll(async () => {
  s = await startSdkServer();
  guest = s.newClient();
  user = (await s.signUp()).client;
});
afterAll(async () => {
  await s?.close();
});

describe('upload to a server that has no backups yet', () => {
  // Runs first: <dir>/backups does not exist until something is put there.
  test('a valid backup is taken in and listed', async () => {
    const other = await startSdkServer();
    try {
      await other.admin.backups.create('made-elsewhere.zip');
      const bytes = readFileSync(join(other.hearth.dir, 'backups', 'made-elsewhere.zip'));
      expect(existsSync(backupsDir())).toBe(false);
      await s.admin.backups.upload({ file: zipFile(bytes, 'first-upload.zip') });
      expect(await keys()).toEqual(['first-upload.zip']);
      expect(readFileSync(join(backupsDir(), 'first-upload.zip')).equals(bytes)).toBe(true);
      await s.admin.backups.delete('first-upload.zip');
    } finally {
      await other.close();
    }
  });
});

describe('create, list, download, delete', () => {
  test('create(name) makes the zip; it is listed with its size and modification time', async () => {
    await expect(s.admin.backups.create('manual-one.zip')).resolves.toBe(true);
    const list = await s.admin.backups.getFullList();
    const entry = list.find((b) => b.key === 'manual-one.zip');
    const file = join(backupsDir(), 'manual-one.zip');
    expect(entry).toEqual({ key: 'manual-one.zip', size: statSync(file).size, modified: expect.any(String) });
    expect(entry!.modified).toMatch(DATETIME);
    expect(Math.abs(Date.parse(entry!.modified.replace(' ', 'T')) - statSync(file).mtimeMs)).toBeLessThan(1);
    // A zip that starts with a local file header.
    expect(readFileSync(file).subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  });

  test("create('') names it hearth_backup_<UTC stamp>.zip", async () => {
    const before = new Set(await keys());
    const from = Date.now();
    await s.admin.backups.create('');
    const made = (await keys()).filter((k) => !before.has(k));
    expect(made).toHaveLength(1);
    const m = /^hearth_backup_(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\.zip$/.exec(made[0]!);
    expect(m).not.toBeNull();
    const stamp = Date.UTC(+m![1]!, +m![2]! - 1, +m![3]!, +m![4]!, +m![5]!, +m![6]!);
    expect(stamp).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
    expect(stamp).toBeLessThanOrEqual(Date.now());
    await s.admin.backups.delete(made[0]!);
  });

  test('the list is newest first', async () => {
    await s.admin.backups.create('manual-two.zip');
    const list = await keys();
    expect(list.indexOf('manual-two.zip')).toBeLessThan(list.indexOf('manual-one.zip'));
    await s.admin.backups.delete('manual-two.zip');
  });

  test("download with a superuser's file token: the zip's bytes", async () => {
    const token = await s.admin.files.getToken();
    const res = await fetch(s.admin.backups.getDownloadURL(token, 'manual-one.zip'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="manual-one.zip"');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(readFileSync(join(backupsDir(), 'manual-one.zip')))).toBe(true);
  });

  test("download without a token, with a wrong one, an auth token or a user's file token: 403", async () => {
    const userFileToken = await user.files.getToken();
    const superuserFileToken = await s.admin.files.getToken();
    const wrong = superuserFileToken.slice(0, -4) + (superuserFileToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const url = (token: string) => `${s.url}/api/backups/manual-one.zip?token=${encodeURIComponent(token)}`;
    for (const target of [
      `${s.url}/api/backups/manual-one.zip`,
      url(''),
      url('not-a-token'),
      url(wrong),
      // An auth token is not a file token, even a superuser's.
      url(s.admin.authStore.token),
      url(userFileToken),
    ]) {
      const res = await fetch(target, { headers: { Authorization: s.admin.authStore.token } });
      expect(res.status, target).toBe(403);
      expect(((await res.json()) as { message: string }).message).toBe(
        'Insufficient permissions to access the resource.',
      );
    }
  });

  test('download of a backup that is not there, or a name that cannot be one: 404', async () => {
    const token = await s.admin.files.getToken();
    for (const key of ['missing.zip', '../data.db', 'x.txt', 'Manual-one.zip']) {
      const res = await fetch(s.admin.backups.getDownloadURL(token, key));
      expect(res.status, key).toBe(404);
    }
  });

  test('delete removes the file; deleting it again is a 404', async () => {
    await s.admin.backups.create('to-delete.zip');
    expect(await keys()).toContain('to-delete.zip');
    await expect(s.admin.backups.delete('to-delete.zip')).resolves.toBe(true);
    expect(await keys()).not.toContain('to-delete.zip');
    expect(existsSync(join(backupsDir(), 'to-delete.zip'))).toBe(false);
    expect((await failure(s.admin.backups.delete('to-delete.zip'))).status).toBe(404);
  });

  test('a second create under an existing name is a 400 and leaves the first alone', async () => {
    const before = readFileSync(join(backupsDir(), 'manual-one.zip'));
    const err = await failure(s.admin.backups.create('manual-one.zip'));
    expect(err.status).toBe(400);
    expect(err.message).toBe('A backup named manual-one.zip exists already.');
    expect(fieldCode(err, 'name')).toBe('validation_backup_exists');
    expect(readFileSync(join(backupsDir(), 'manual-one.zip')).equals(before)).toBe(true);
  });

  test.each([
    ['../x.zip'],
    ['/tmp/x.zip'],
    ['x.txt'],
    ['Upper.zip'],
    ['.hidden.zip'],
    ['with space.zip'],
    ['x.zip/'],
  ])('create(%j): 400, nothing made', async (name) => {
    const before = onDisk();
    const err = await failure(s.admin.backups.create(name));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'name')).toBe('validation_backup_not_a_backup');
    expect(err.message).toBe('Use lower-case letters, digits, "_", "." or "-", ending in .zip.');
    expect(onDisk()).toEqual(before);
    expect(existsSync(join(s.hearth.dir, 'x.zip'))).toBe(false);
  });

  test('a name that is not a string: 400', async () => {
    const err = await failure(send(s.admin, '/api/backups', { method: 'POST', body: { name: 42 } }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'name')).toBe('validation_invalid_name');
  });

  test.each([['../x.zip'], ['x.txt'], ['Upper.zip'], ['missing.zip']])(
    'delete and restore of %j: 404, nothing touched',
    async (key) => {
      const before = onDisk();
      expect((await failure(s.admin.backups.delete(key))).status).toBe(404);
      const err = await failure(s.admin.backups.restore(key));
      expect(err.status).toBe(404);
      expect(err.message).toBe('Missing or invalid backup file.');
      expect(onDisk()).toEqual(before);
      expect(existsSync(join(s.hearth.dir, '.restore-pending.json'))).toBe(false);
    },
  );
});

describe('upload', () => {
  let valid: Buffer;
  beforeAll(() => {
    valid = readFileSync(join(backupsDir(), 'manual-one.zip'));
  });

  test('a backup made by create, under another name: taken in and listed', async () => {
    await expect(s.admin.backups.upload({ file: zipFile(valid, 'renamed.zip') })).resolves.toBe(true);
    expect(await keys()).toContain('renamed.zip');
    expect(readFileSync(join(backupsDir(), 'renamed.zip')).equals(valid)).toBe(true);
    expect(uploadTemps()).toEqual([]);
  });

  /** The entries of a hostile zip and what the server must say about it. */
  const hostile: [string, () => Uint8Array, string, string | RegExp][] = [
    [
      'an entry named ../x',
      () => {
        const entries = { 'data.db': new Uint8Array(valid.subarray(0, 100)), '../x': Buffer.from('escaped') };
        return zipOf({ ...entries, 'manifest.json': manifestFor(entries) });
      },
      'validation_backup_unsafe_path',
      'The backup has an entry with an unsafe name (".." segment): "../x".',
    ],
    [
      'an absolute entry name',
      () => {
        const entries = { 'data.db': new Uint8Array(8), '/etc/x': Buffer.from('escaped') };
        return zipOf({ ...entries, 'manifest.json': manifestFor(entries) });
      },
      'validation_backup_unsafe_path',
      'The backup has an entry with an unsafe name (absolute path): "/etc/x".',
    ],
    [
      'one changed byte inside data.db',
      () => {
        const zip = Buffer.from(valid);
        // data.db is the first entry: its data follows the local header, name and extra field.
        const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
        expect(zip.subarray(30, 30 + 7).toString()).toBe('data.db');
        zip.writeUInt8(zip.readUInt8(start + 200) ^ 0x55, start + 200);
        return zip;
      },
      'validation_backup_corrupt',
      // What the inflater trips over depends on the byte: a CRC mismatch, an overrun, a bad block.
      /^The backup is damaged or truncated \(data\.db[ :]/,
    ],
    [
      'a text file',
      () => Buffer.from('not a zip at all'),
      'validation_backup_not_a_backup',
      'This is not a Hearth backup: the file is not a zip archive.',
    ],
    [
      'half of a valid backup',
      () => valid.subarray(0, valid.length >> 1),
      'validation_backup_corrupt',
      'The backup is damaged or truncated (no end of central directory).',
    ],
  ];

  test.each(hostile)(
    '%s: 400 with the reason, nothing added to the folder',
    async (_, make, code, message) => {
      const before = onDisk();
      const err = await failure(s.admin.backups.upload({ file: zipFile(make(), 'hostile.zip') }));
      expect(err.status).toBe(400);
      if (typeof message === 'string') expect(err.message).toBe(message);
      else expect(err.message).toMatch(message);
      expect(fieldCode(err, 'file')).toBe(code);
      expect((err.response['data'] as Record<string, { message: string }>)['file']!.message).toBe(
        err.message,
      );
      expect(onDisk()).toEqual(before);
      expect(await keys()).not.toContain('hostile.zip');
      expect(uploadTemps()).toEqual([]);
      expect(existsSync(join(s.hearth.dir, 'x'))).toBe(false);
      expect(existsSync(join(s.hearth.dir, 'storage', 'x'))).toBe(false);
    },
  );

  test.each([['x.txt'], ['Upper.zip'], ['with space.zip']])(
    'a valid backup uploaded as %j: 400, not taken in',
    async (name) => {
      const before = onDisk();
      const err = await failure(s.admin.backups.upload({ file: zipFile(valid, name) }));
      expect(err.status).toBe(400);
      expect(fieldCode(err, 'file')).toBe('validation_backup_not_a_backup');
      expect(onDisk()).toEqual(before);
      expect(uploadTemps()).toEqual([]);
    },
  );

  test('under the name of a backup that exists: 400, the existing one unchanged', async () => {
    const other = Buffer.from(readFileSync(join(backupsDir(), 'renamed.zip')));
    await s.admin.backups.create('occupied.zip');
    const before = readFileSync(join(backupsDir(), 'occupied.zip'));
    const err = await failure(s.admin.backups.upload({ file: zipFile(other, 'occupied.zip') }));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'file')).toBe('validation_backup_exists');
    expect(readFileSync(join(backupsDir(), 'occupied.zip')).equals(before)).toBe(true);
    await s.admin.backups.delete('occupied.zip');
  });

  test('bigger than http.maxBodySize (a real backup is): read and checked, not cut off with a 413', async () => {
    await s.admin.settings.update({ http: { maxBodySize: 1024 * 1024 } });
    try {
      const big = Buffer.alloc(3 * 1024 * 1024, 7); // not a zip: refused for what it is
      const err = await failure(s.admin.backups.upload({ file: zipFile(big, 'big.zip') }));
      expect(err.status).toBe(400);
      expect(fieldCode(err, 'file')).toBe('validation_backup_not_a_backup');
    } finally {
      await s.admin.settings.update({ http: { maxBodySize: 32 * 1024 * 1024 } });
    }
  });

  test('without a file: 400 data.file validation_required', async () => {
    const form = new FormData();
    form.append('other', 'value');
    const err = await failure(s.admin.backups.upload(form));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'file')).toBe('validation_required');
  });
});

describe('one backup at a time', () => {
  const big = () => join(s.hearth.dir, 'storage', 'busy', 'rec', 'zeros_0123456789.bin');
  afterAll(() => rmSync(join(s.hearth.dir, 'storage', 'busy'), { recursive: true, force: true }));

  test('a second create while one runs: 400 "Try again later…"; the first completes', async () => {
    // A large (sparse) file keeps the first backup busy streaming storage/ for a while.
    mkdirSync(join(big(), '..'), { recursive: true });
    writeFileSync(big(), '');
    truncateSync(big(), 256 * 1024 ** 2);

    const first = s.admin.backups.create('slow.zip');
    // The zip is written as <name>.<random>.partial once the database snapshot is taken.
    await vi.waitFor(
      () => expect(onDisk().some((n) => /^slow\.zip\.[0-9a-f]+\.partial$/.test(n))).toBe(true),
      {
        timeout: 20_000,
        interval: 2,
      },
    );
    const second = await failure(s.admin.backups.create('second.zip'));
    expect(second.status).toBe(400);
    expect(second.message).toBe(BUSY);
    // Delete and restore take turns too.
    expect((await failure(s.admin.backups.delete('manual-one.zip'))).message).toBe(BUSY);
    expect((await failure(s.admin.backups.restore('manual-one.zip'))).message).toBe(BUSY);

    await expect(first).resolves.toBe(true);
    expect(await keys()).toContain('slow.zip');
    expect(await keys()).not.toContain('second.zip');
    expect(await keys()).toContain('manual-one.zip');
    expect(existsSync(join(s.hearth.dir, '.restore-pending.json'))).toBe(false);
    expect(onDisk().filter((n) => n.endsWith('.partial'))).toEqual([]);
    await s.admin.backups.delete('slow.zip');
  });
});

describe('superusers only', () => {
  const routes: [string, (pb: PocketBase) => Promise<unknown>][] = [
    ['getFullList', (pb) => pb.backups.getFullList()],
    ['create', (pb) => pb.backups.create('by-outsider.zip')],
    ['create (default name)', (pb) => pb.backups.create('')],
    ['upload', (pb) => pb.backups.upload({ file: zipFile(Buffer.from('PK'), 'by-outsider.zip') })],
    ['delete', (pb) => pb.backups.delete('manual-one.zip')],
    ['restore', (pb) => pb.backups.restore('manual-one.zip')],
    ['restore of a missing backup', (pb) => pb.backups.restore('missing.zip')],
  ];

  test.each(routes)('%s: guest 401, user 403, nothing changed', async (_, call) => {
    const before = onDisk();
    const asGuest = await failure(call(guest));
    expect(asGuest.status).toBe(401);
    const asUser = await failure(call(user));
    expect(asUser.status).toBe(403);
    expect(onDisk()).toEqual(before);
    expect(existsSync(join(s.hearth.dir, '.restore-pending.json'))).toBe(false);
    expect(uploadTemps()).toEqual([]);
  });
});

describe('automatic backups: backups.cron, backups.cronMaxKeep and __pbBackups__', () => {
  interface Job {
    id: string;
    schedule: string;
    enabled: boolean;
  }
  interface Run {
    trigger: string;
    status: string;
    result: string;
  }
  const job = async () =>
    ((await send(s.admin, '/api/hearth/jobs')) as unknown as { items: Job[] }).items.find(
      (j) => j.id === '__pbBackups__',
    );
  const runs = async () =>
    (
      (await send(s.admin, '/api/hearth/jobs/__pbBackups__/runs', {
        query: { perPage: 500 },
      })) as unknown as {
        items: Run[];
      }
    ).items;
  const autoKeys = async () => (await keys()).filter((k) => k.startsWith('auto_'));
  /** Waits until the job has `count` runs and none of them is going on; returns them, newest first. */
  const settled = async (count: number) => {
    let list: Run[] = [];
    await vi.waitFor(
      async () => {
        list = await runs();
        expect(list.filter((r) => r.status === 'running')).toEqual([]);
        expect(list).toHaveLength(count);
      },
      { timeout: 20_000, interval: 20 },
    );
    return list;
  };

  test('off by default: the job exists, disabled', async () => {
    expect(await s.admin.crons.getFullList()).toContainEqual({
      id: '__pbBackups__',
      expression: '0 3 * * *',
    });
    expect(await job()).toMatchObject({ enabled: false });
    const settings = await s.admin.settings.getAll();
    expect(settings['backups']).toMatchObject({ cron: '', cronMaxKeep: 3 });
  });

  test.each([
    [{ cron: 'every now and then' }, 'cron'],
    [{ cron: '61 * * * *' }, 'cron'],
    [{ cron: 'every 1h', cronMaxKeep: 0 }, 'cronMaxKeep'],
    [{ cronMaxKeep: 'two' }, 'cronMaxKeep'],
  ])('PATCH backups %j: 400 on %s, nothing changed', async (backups, field) => {
    const err = await failure(s.admin.settings.update({ backups }));
    expect(err.status).toBe(400);
    const data = err.response['data'] as { backups?: Record<string, { code: string }> };
    expect(data.backups?.[field]?.code).toBe('validation_invalid_value');
    expect(await job()).toMatchObject({ enabled: false, schedule: '0 3 * * *' });
    expect((await s.admin.settings.getAll())['backups']).toMatchObject({ cron: '', cronMaxKeep: 3 });
  });

  test("PATCH {backups: {cron: 'every 1h', cronMaxKeep: 2}} enables the job on that schedule", async () => {
    const updated = await s.admin.settings.update({ backups: { cron: 'every 1h', cronMaxKeep: 2 } });
    expect(updated['backups']).toMatchObject({ cron: 'every 1h', cronMaxKeep: 2 });
    expect(await s.admin.crons.getFullList()).toContainEqual({ id: '__pbBackups__', expression: 'every 1h' });
    expect(await job()).toMatchObject({ enabled: true, schedule: 'every 1h' });
    // An interval job that never ran is due at once: the scheduler makes the first auto_ backup itself.
    expect(await settled(1)).toMatchObject([{ trigger: 'schedule', status: 'ok' }]);
    expect(await autoKeys()).toHaveLength(1);
  });

  test('pb.crons.run() makes an auto_ backup; with cronMaxKeep 2 only the two newest stay, manual ones untouched', async () => {
    const manual = (await keys()).filter((k) => !k.startsWith('auto_')).sort();
    expect(manual.length).toBeGreaterThan(0);
    const made: string[] = [...(await autoKeys())];
    for (let i = 0; i < 3; i++) {
      // auto_ names carry the time to the second: the next run waits for the next second.
      const last = made.at(-1) ?? '';
      await vi.waitFor(() => expect(`auto_hearth_backup_${stamp(new Date())}.zip` > last).toBe(true), {
        timeout: 5000,
        interval: 50,
      });
      const before = (await runs()).length;
      await expect(s.admin.crons.run('__pbBackups__')).resolves.toBe(true);
      const run = (await settled(before + 1))[0]!;
      expect(run).toMatchObject({ trigger: 'manual', status: 'ok' });
      const name = /^(auto_hearth_backup_\d{14}\.zip) \(\d+ bytes\)/.exec(run.result)?.[1];
      expect(name, run.result).toBeDefined();
      made.push(name!);
      const auto = await autoKeys();
      expect(auto).toEqual(made.slice(-2).reverse());
      if (made.length > 2) expect(run.result).toContain(`; deleted ${made.at(-3)!}`);
    }
    expect(made).toHaveLength(4);
    expect((await keys()).filter((k) => !k.startsWith('auto_')).sort()).toEqual(manual);
  });

  test("cron: '' disables the job", async () => {
    const updated = await s.admin.settings.update({ backups: { cron: '' } });
    expect(updated['backups']).toMatchObject({ cron: '', cronMaxKeep: 2 });
    expect(await job()).toMatchObject({ enabled: false, schedule: '0 3 * * *' });
    expect(await s.admin.crons.getFullList()).toContainEqual({
      id: '__pbBackups__',
      expression: '0 3 * * *',
    });
  });
});

/** `YYYYMMDDhhmmss` in UTC, as backup names carry it. */
function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:T]/g, '');
}

describe('restore', () => {
  // A server of its own: the restore replaces its data, and the folder must outlive the server.
  let hearth: TestHearth;
  let running: RunningServer;
  let admin: PocketBase;
  const restarts: { reason: string }[] = [];

  beforeAll(async () => {
    hearth = testHearth();
    await withSuperuser(hearth);
    hearth.bus.subscribe('RestartRequested', (p) => void restarts.push(p));
    running = await startServer(hearth, { host: '127.0.0.1', port: 0 });
    admin = new PocketBase(running.url);
    admin.autoCancellation(false);
    await admin.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
  });
  afterAll(async () => {
    await running?.close(1000);
    await hearth?.cleanup();
  });

  const labels = async (pb: PocketBase) =>
    (await pb.collection('kept').getFullList<{ label: string }>({ sort: 'label' })).map((r) => r.label);

  test('restore of a valid backup: 204, the marker, RestartRequested; the next start has the data of the backup moment', async () => {
    await createCollection(admin, 'kept', [{ name: 'label', type: 'text' }]);
    for (const label of ['a1', 'a2', 'a3']) await admin.collection('kept').create({ label });
    await admin.backups.create('moment.zip');
    for (const label of ['b1', 'b2']) await admin.collection('kept').create({ label });
    await createCollection(admin, 'later', [{ name: 'x', type: 'text' }]);
    expect(await labels(admin)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);

    await expect(admin.backups.restore('moment.zip')).resolves.toBe(true);
    const marker = join(hearth.dir, '.restore-pending.json');
    expect(existsSync(marker)).toBe(true);
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({
      file: join(hearth.dir, 'backups', 'moment.zip'),
    });
    await vi.waitFor(() => expect(restarts).toEqual([{ reason: 'restore' }]));
    // Nothing is swapped while this server runs: it still answers with today's data.
    expect(await labels(admin)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);

    // What `hearth serve` does on RestartRequested: close, restore, start over.
    await running.close(1000);
    await hearth.close();
    await expect(applyPendingRestore(hearth.dir, BUILD, silentLogger())).resolves.toBe(true);
    expect(existsSync(marker)).toBe(false);
    // Done once: a second start finds nothing to restore.
    await expect(applyPendingRestore(hearth.dir, BUILD, silentLogger())).resolves.toBe(false);

    hearth = testHearth(hearth.dir);
    running = await startServer(hearth, { host: '127.0.0.1', port: 0 });
    admin = new PocketBase(running.url);
    admin.autoCancellation(false);
    await admin.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
    expect(await labels(admin)).toEqual(['a1', 'a2', 'a3']);
    expect((await failure(admin.collections.getOne('later'))).status).toBe(404);
    // The backups folder is not part of the restore: the backup is still there.
    expect(await keys(admin)).toContain('moment.zip');
    expect(hearth.db.sql.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  test('a marker naming a backup that fails its checks: nothing restored, the data stays, the marker goes', async () => {
    await admin.collection('kept').create({ label: 'c1' });
    await admin.backups.create('to-damage.zip');
    await admin.collection('kept').create({ label: 'c2' });
    await admin.backups.restore('to-damage.zip');
    await running.close(1000);
    await hearth.close();
    // Damaged between the request and the restart.
    truncateSync(join(hearth.dir, 'backups', 'to-damage.zip'), 100);
    await expect(applyPendingRestore(hearth.dir, BUILD, silentLogger())).resolves.toBe(false);
    expect(existsSync(join(hearth.dir, '.restore-pending.json'))).toBe(false);

    hearth = testHearth(hearth.dir);
    running = await startServer(hearth, { host: '127.0.0.1', port: 0 });
    admin = new PocketBase(running.url);
    await admin.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
    expect(await labels(admin)).toEqual(['a1', 'a2', 'a3', 'c1', 'c2']);
  });
});
