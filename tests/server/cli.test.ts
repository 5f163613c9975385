import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { removeDir, runCli, startHearth, tempDir } from '../support/hearth.js';

describe('hearth CLI: usage', () => {
  test.each([
    [['bogus'], /unknown command 'bogus'/],
    [['serve', '--nope'], /unknown option '--nope'/],
    [['config', 'get', '--verbose'], /unknown option '--verbose'/],
    [['superuser', 'upsert', 'only-email@example.com'], /missing required argument 'password'/],
    [['config', 'set', 'a', 'b', 'c'], /too many arguments/],
    [['migrate'], /Usage: hearth migrate/],
    [['superuser', 'delete'], /unknown command 'delete'/],
  ])('%j → usage and exit 2', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: hearth');
  });

  test.each([
    [[]],
    [['serve']],
    [['superuser', 'upsert']],
    [['migrate', 'status']],
    [['migrate', 'up']],
    [['migrate', 'create']],
    [['config', 'get']],
    [['config', 'set']],
  ])('%j --help → usage and exit 0', async (args) => {
    const r = await runCli([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: hearth${args.length ? ` ${args.join(' ')}` : ''}`);
  });

  test('bin/hearth.js (the package bin behind `npx hearth`) runs the built CLI', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const proc = spawn(process.execPath, ['bin/hearth.js', '--version'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.once('exit', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('hearth config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    expect((await runCli(['migrate', 'up', '--dir', dir])).code).toBe(0);
  });
  afterAll(() => removeDir(dir));

  const getAll = async () =>
    JSON.parse((await runCli(['config', 'get', '--json', '--dir', dir])).stdout) as Record<string, unknown>;

  test('get lists every setting with its default', async () => {
    const r = await runCli(['config', 'get', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/meta\.appName\s+"Hearth"\s+\(default\)/);
    expect(r.stdout).toMatch(/http\.maxBodySize\s+33554432\s+\(default\)/);
  });

  test('set then get one key, typed by the key', async () => {
    expect((await runCli(['config', 'set', 'meta.appName', 'My Cloud', '--dir', dir])).code).toBe(0);
    expect((await runCli(['config', 'set', 'http.maxBodySize', '1048576', '--dir', dir])).code).toBe(0);
    expect((await runCli(['config', 'get', 'meta.appName', '--dir', dir])).stdout.trim()).toBe('"My Cloud"');
    expect((await getAll())['http.maxBodySize']).toBe(1048576);
  });

  test.each([
    [['config', 'set', 'no.such.key', '1'], /Unknown setting "no.such.key"/],
    [['config', 'set', 'http.maxBodySize', 'lots'], /Invalid value for http.maxBodySize/],
    [['config', 'set', 'http.maxBodySize', '-5'], /Invalid value for http.maxBodySize/],
    [['config', 'set', 'meta.appURL', 'ftp://example.com'], /Invalid value for meta.appURL/],
    [['config', 'get', 'no.such.key'], /Unknown setting "no.such.key"/],
  ])('%j → clear error, exit 1, nothing written', async (args, message) => {
    const before = await getAll();
    const r = await runCli([...args, '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(await getAll()).toEqual(before);
  });
});

describe('hearth config on a folder without Hearth data', () => {
  test('get refuses and set with a wrong key creates nothing', async () => {
    const parent = tempDir();
    const dir = join(parent, 'typo');
    try {
      const get = await runCli(['config', 'get', '--dir', dir]);
      expect(get.code).toBe(1);
      expect(get.stderr).toContain(`There is no Hearth data in ${dir}`);
      const set = await runCli(['config', 'set', 'no.such', '1', '--dir', dir]);
      expect(set.code).toBe(1);
      expect(existsSync(dir)).toBe(false);
    } finally {
      removeDir(parent);
    }
  });
});

describe('hearth superuser upsert, with the server running', () => {
  test('creates, signs in through the SDK, and a password change signs old sessions out', async () => {
    const hearth = await startHearth();
    try {
      const created = await runCli([
        'superuser',
        'upsert',
        'boss@example.com',
        'first long password',
        '--dir',
        hearth.dir,
      ]);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/Created superuser boss@example.com \([a-z0-9]{15}\)/);

      const pb = new PocketBase(hearth.url);
      const auth = await pb
        .collection('_superusers')
        .authWithPassword('boss@example.com', 'first long password');
      expect(pb.authStore.isSuperuser).toBe(true);
      expect(auth.record['email']).toBe('boss@example.com');

      const updated = await runCli([
        'superuser',
        'upsert',
        'boss@example.com',
        'second long password',
        '--dir',
        hearth.dir,
      ]);
      expect(updated.stdout).toContain('Updated superuser boss@example.com');
      await expect(pb.collection('_superusers').authRefresh()).rejects.toMatchObject({ status: 401 });
      await expect(
        pb.collection('_superusers').authWithPassword('boss@example.com', 'first long password'),
      ).rejects.toMatchObject({
        status: 400,
      });
      await pb.collection('_superusers').authWithPassword('boss@example.com', 'second long password');

      // The setup page is closed as soon as a superuser exists, even one made from the CLI.
      expect(await (await fetch(`${hearth.url}/api/hearth/setup`)).json()).toMatchObject({ required: false });
    } finally {
      await hearth.stop();
      removeDir(hearth.dir);
    }
  });

  test('a settings change from the CLI applies to the running server at once', async () => {
    const hearth = await startHearth();
    try {
      const post = () =>
        fetch(`${hearth.url}/api/collections/_superusers/auth-with-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ identity: 'x@example.com', password: 'y'.repeat(4000) }),
        });
      expect((await post()).status).toBe(400);
      expect((await runCli(['config', 'set', 'http.maxBodySize', '2048', '--dir', hearth.dir])).code).toBe(0);
      expect((await post()).status).toBe(413);
    } finally {
      await hearth.stop();
      removeDir(hearth.dir);
    }
  });

  test.each([
    [['not-an-email', 'long enough password'], /email: Must be a valid email address/],
    [['a@example.com', 'short'], /password: The length must be between 10 and 256/],
  ])('invalid input %j → exit 1 with the field message', async (args, message) => {
    const dir = tempDir();
    try {
      const r = await runCli(['superuser', 'upsert', ...args, '--dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    } finally {
      removeDir(dir);
    }
  });
});

describe('hearth migrate', () => {
  test('status, up and status again show every migration with its UTC times', async () => {
    const dir = tempDir();
    try {
      const fresh = await runCli(['migrate', 'status', '--dir', dir]);
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toMatch(/pending\s+2026-11-22T00:00:00Z\s+core\/20261122000000_params/);
      expect(existsSync(join(dir, 'data.db'))).toBe(false); // status never creates or changes anything

      const up = await runCli(['migrate', 'up', '--dir', dir]);
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/applied\s+2026-11-22T00:00:00Z\s+core\/20261122000000_params/);
      expect((await runCli(['migrate', 'up', '--dir', dir])).stdout).toContain('Nothing to apply.');

      const after = await runCli(['migrate', 'status', '--dir', dir]);
      expect(after.stdout).toMatch(
        /applied\s+2026-11-22T00:00:00Z\s+core\/20261122000000_params\s+applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/,
      );
      expect(after.stdout).toMatch(/\d+ applied, 0 pending, 0 unknown/);
    } finally {
      removeDir(dir);
    }
  });

  test('several processes migrating a new folder at once: each migration runs exactly once', async () => {
    const dir = tempDir();
    try {
      const runs = await Promise.all([
        runCli(['migrate', 'up', '--dir', dir]),
        runCli(['migrate', 'up', '--dir', dir]),
        runCli(['migrate', 'up', '--dir', dir]),
        runCli(['config', 'set', 'meta.appName', 'Racer', '--dir', dir]),
        runCli(['config', 'set', 'http.maxBodySize', '65536', '--dir', dir]),
        runCli(['superuser', 'upsert', 'race@example.com', 'racing long password', '--dir', dir]),
      ]);
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const status = await runCli(['migrate', 'status', '--dir', dir]);
      expect(status.stdout).toMatch(/\d+ applied, 0 pending, 0 unknown/);
    } finally {
      removeDir(dir);
    }
  });

  test('status changes nothing in an existing database', async () => {
    const dir = tempDir();
    try {
      await runCli(['migrate', 'up', '--dir', dir]);
      const file = join(dir, 'data.db');
      const before = readFileSync(file);
      expect((await runCli(['migrate', 'status', '--dir', dir])).code).toBe(0);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      removeDir(dir);
    }
  });

  test('create writes a scaffold named with the current UTC time', async () => {
    const tree = tempDir();
    try {
      mkdirSync(join(tree, 'api'));
      const before = new Date();
      const r = await runCli(['migrate', 'create', 'notes', 'add_tags'], { cwd: tree });
      expect(r.code).toBe(0);
      const files = readdirSync(join(tree, 'api/notes/migrations'));
      expect(files).toHaveLength(1);
      const m = /^(\d{14})_add_tags\.ts$/.exec(files[0]!);
      expect(m).not.toBeNull();
      const stamp = m![1]!;
      const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}Z`;
      expect(Math.abs(new Date(iso).getTime() - before.getTime())).toBeLessThan(60_000);
      expect(readFileSync(join(tree, 'api/notes/migrations', files[0]!), 'utf8')).toContain(
        'export function up(sql',
      );
    } finally {
      removeDir(tree);
    }
  });

  test.each([
    [['Notes', 'x'], /Capability "Notes"/],
    [['notes', 'bad-name'], /Migration name "bad-name"/],
    [['../../etc', 'x'], /Capability/],
  ])('create %j refuses with a clear message', async (args, message) => {
    const tree = tempDir();
    try {
      mkdirSync(join(tree, 'api'));
      const r = await runCli(['migrate', 'create', ...args], { cwd: tree });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    } finally {
      removeDir(tree);
    }
  });

  test('create outside the source tree says where to run it', async () => {
    const tree = tempDir();
    try {
      const r = await runCli(['migrate', 'create', 'notes', 'x'], { cwd: tree });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('from the root of the Hearth source tree');
    } finally {
      removeDir(tree);
    }
  });
});
