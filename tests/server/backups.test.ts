import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { BUNDLE, removeDir, runCli, startHearth, tempDir, type HearthProcess } from '../support/hearth.js';

// Backups (issue 9) with the built Hearth as real processes: a restore through the API restarts
// `hearth serve` in the same process on the same address with the backup's data; a backup SIGKILLed
// half-way leaves no archive anyone lists; a second server on the same folder is refused.

const ADMIN = { email: 'backup-admin@example.com', password: 'backup admin password' };
const PARTIAL = /\.zip\.[0-9a-f]+\.partial$/;

beforeAll(async () => {
  const help = await runCli(['backup', '--help']);
  if (help.code !== 0) {
    throw new Error(`${BUNDLE} has no \`hearth backup\`: it predates the backups code (npm run build).`);
  }
});

/** A data folder with the superuser the tests sign in as. */
async function preparedDir(): Promise<string> {
  const dir = tempDir();
  const r = await runCli(['superuser', 'upsert', ADMIN.email, ADMIN.password, '--dir', dir]);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

async function signIn(url: string): Promise<PocketBase> {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  await pb.collection('_superusers').authWithPassword(ADMIN.email, ADMIN.password);
  return pb;
}

describe('a running hearth serve', () => {
  let hearth: HearthProcess;
  let pb: PocketBase;
  beforeAll(async () => {
    hearth = await startHearth({ dir: await preparedDir() });
    pb = await signIn(hearth.url);
  });
  afterAll(async () => {
    await hearth?.stop();
    if (hearth) removeDir(hearth.dir);
  });

  const labels = async () =>
    (await pb.collection('kept').getFullList<{ label: string }>({ sort: 'label' })).map((r) => r.label);
  const lock = () => readFileSync(join(hearth.dir, 'serve.lock'), 'utf8');

  test('holds serve.lock; a second hearth serve on the same folder is refused', async () => {
    expect(lock()).toBe(`${hearth.proc.pid}\n`);
    const second = await runCli(['serve', '--http', '127.0.0.1:0', '--dir', hearth.dir], {
      timeoutMs: 15_000,
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `hearth: another Hearth server (pid ${hearth.proc.pid}) is serving ${hearth.dir}\n`,
    );
    expect(lock()).toBe(`${hearth.proc.pid}\n`);
    expect((await fetch(`${hearth.url}/api/health`)).status).toBe(200);
  });

  test('hearth backup restore is refused while it serves', async () => {
    const r = await runCli(['backup', 'restore', 'anything.zip', '--dir', hearth.dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `hearth: a Hearth server (pid ${hearth.proc.pid}) is serving ${hearth.dir}: stop it first\n`,
    );
  });

  test('POST /api/backups/{key}/restore: 204, then the same server, at the same URL, serves the backup', async () => {
    await pb.collections.create({
      name: 'kept',
      type: 'base',
      listRule: '',
      fields: [{ name: 'label', type: 'text' }],
    });
    for (const label of ['a1', 'a2', 'a3']) await pb.collection('kept').create({ label });
    await pb.backups.create('moment.zip');
    for (const label of ['b1', 'b2']) await pb.collection('kept').create({ label });
    expect(await labels()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);

    const res = await fetch(`${hearth.url}/api/backups/moment.zip/restore`, {
      method: 'POST',
      headers: { Authorization: pb.authStore.token },
    });
    expect(res.status).toBe(204);

    // The server drains, restores and listens again: requests fail meanwhile, then succeed.
    await vi.waitFor(async () => expect(await labels()).toEqual(['a1', 'a2', 'a3']), {
      timeout: 5_000,
      interval: 100,
    });
    expect(hearth.proc.exitCode).toBeNull();
    expect(hearth.proc.signalCode).toBeNull();
    expect(lock()).toBe(`${hearth.proc.pid}\n`);
    expect(existsSync(join(hearth.dir, '.restore-pending.json'))).toBe(false);
    expect(hearth.stdout()).toMatch(/"msg":"backup restored"/);
    // The session of the backup moment is still good, and the backup is still there.
    expect((await pb.backups.getFullList()).map((b) => b.key)).toEqual(['moment.zip']);

    // Still the one server on the folder.
    const second = await runCli(['serve', '--http', '127.0.0.1:0', '--dir', hearth.dir], {
      timeoutMs: 15_000,
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another Hearth server (pid ${hearth.proc.pid})`);
  });

  test('SIGTERM after the restart: exit 0 and the lock released', async () => {
    expect(await hearth.stop()).toBe(0);
    expect(existsSync(join(hearth.dir, 'serve.lock'))).toBe(false);
  });
});

describe('hearth backup create, SIGKILLed half-way, again and again', () => {
  let hearth: HearthProcess;
  let pb: PocketBase;
  let backups: string;
  beforeAll(async () => {
    const dir = await preparedDir();
    // About 20 MB of incompressible files: deflating them takes the backup a moment.
    const files = join(dir, 'storage', 'pbc_big', 'rec');
    mkdirSync(files, { recursive: true });
    for (let i = 0; i < 4; i++)
      writeFileSync(join(files, `blob${i}_0123456789.bin`), randomBytes(5 * 1024 ** 2));
    backups = join(dir, 'backups');
    hearth = await startHearth({ dir });
    pb = await signIn(hearth.url);
  });
  afterAll(async () => {
    await hearth?.stop();
    if (hearth) removeDir(hearth.dir);
  });

  /** Starts `hearth backup create` and SIGKILLs it once its partial zip has reached `bytes`. */
  async function killedCreate(bytes: number): Promise<void> {
    const child = spawn(process.execPath, [BUNDLE, 'backup', 'create', '--dir', hearth.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_, signal) => resolve(signal)),
    );
    const seen = new Set(existsSync(backups) ? readdirSync(backups) : []);
    /** The size of this child's partial zip (not one left by an earlier kill); -1 while there is none. */
    const partialSize = () => {
      const partial = existsSync(backups)
        ? readdirSync(backups).find((n) => PARTIAL.test(n) && !seen.has(n))
        : undefined;
      if (!partial) return -1;
      try {
        return statSync(join(backups, partial)).size;
      } catch {
        return -1; // renamed or removed meanwhile
      }
    };
    try {
      await vi.waitFor(
        () => {
          expect(child.exitCode, output).toBeNull();
          expect(partialSize()).toBeGreaterThanOrEqual(bytes);
        },
        { timeout: 20_000, interval: 2 },
      );
    } finally {
      child.kill('SIGKILL');
    }
    // Killed, not finished: it was still writing.
    expect(await exited).toBe('SIGKILL');
  }

  const completed = () =>
    existsSync(backups)
      ? readdirSync(backups)
          .filter((n) => n.endsWith('.zip'))
          .sort()
      : [];

  test.each([
    ['as soon as the zip is begun', 0, 'after-kill-1.zip'],
    ['5 MB in', 5 * 1024 ** 2, 'after-kill-2.zip'],
    ['12 MB in', 12 * 1024 ** 2, 'after-kill-3.zip'],
  ])('killed %s: nothing listed by the CLI or the API; the next create succeeds', async (_, bytes, name) => {
    const before = completed();
    await killedCreate(bytes);
    expect(completed()).toEqual(before);

    const list = await runCli(['backup', 'list', '--dir', hearth.dir]);
    expect(list.code).toBe(0);
    const listed = list.stdout.startsWith('no backups in ') ? [] : list.stdout.trimEnd().split('\n');
    expect(listed.map((l) => l.split('\t')[0]).sort()).toEqual(before);
    expect((await pb.backups.getFullList()).map((b) => b.key).sort()).toEqual(before);

    const made = await runCli(['backup', 'create', name, '--dir', hearth.dir]);
    expect(made.code, made.stderr).toBe(0);
    const file = join(backups, name);
    expect(made.stdout).toMatch(new RegExp(`^${file} \\(\\d+ bytes, 5 entries\\)\\n$`));
    const verified = await runCli(['backup', 'verify', file]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^ok: 5 entries, /);
    expect(completed()).toEqual([...before, name].sort());
    expect((await pb.backups.getFullList()).map((b) => b.key).sort()).toEqual(completed());
  });
});
