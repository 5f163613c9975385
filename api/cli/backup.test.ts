import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  manifestFor,
  pick,
  removeTempDirs,
  sampleFiles,
  tempDir,
  testData,
  tree,
  writeFiles,
  zipOf,
} from '../backups/backups.testing';
import { silentLogger } from '../core/logger';
import { openStores } from '../main';
import { HEARTH_VERSION } from '../version';
import { run } from './main';

// `hearth backup create|list|verify|restore` run in-process on temporary data folders
// (tests/sdk/backups-process.test.ts drives the built CLI). The archive format itself is covered by
// api/backups/*.test.ts: these are the commands' answers, exit codes and effects.

/** Runs the CLI and returns its exit code and what it wrote. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run(args, HEARTH_VERSION);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The rows of the test table `items` in a data folder, opened as a server would open it. */
function items(dir: string): string[] {
  const stores = openStores(dir, silentLogger());
  try {
    return stores.db.sql.prepare('SELECT hex(body) FROM items ORDER BY id').pluck().all() as string[];
  } finally {
    stores.db.close();
  }
}

/** A data folder with rows in `items` and files under storage/; closed again. */
function dataFolder(rows = 5): string {
  const data = testData({ files: sampleFiles() });
  data.addItems(rows);
  data.close();
  return data.dir;
}

const storageTree = (dir: string) => pick(tree(dir), (p) => p.startsWith('storage/'));
const STAMPED = /^hearth_backup_\d{14}\.zip$/;

afterAll(removeTempDirs);

describe('hearth backup create', () => {
  let dir: string;
  beforeAll(() => {
    dir = dataFolder();
  });

  test('without a name: <dir>/backups/hearth_backup_<UTC time>.zip, its size and entry count', async () => {
    const r = await cli('backup', 'create', '--dir', dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const m = /^(.+) \((\d+) bytes, (\d+) entries\)\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [, file, size, entries] = m!;
    expect(file!.startsWith(join(dir, 'backups') + '/')).toBe(true);
    expect(file!.slice(join(dir, 'backups').length + 1)).toMatch(STAMPED);
    expect(statSync(file!).size).toBe(Number(size));
    // data.db and every file of sampleFiles(); manifest.json is not counted.
    expect(Number(entries)).toBe(1 + Object.keys(sampleFiles()).length);
  });

  test('with a name; a link under storage/ is left out and said so on stderr', async () => {
    symlinkSync('/etc/passwd', join(dir, 'storage', 'pbc_1', 'rec1', 'link_0123456789.txt'));
    const r = await cli('backup', 'create', 'before-upgrade.zip', '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^${join(dir, 'backups', 'before-upgrade.zip')} \\(\\d+ bytes, 6 entries\\)\\n$`),
    );
    expect(r.stderr).toBe('left out: storage/pbc_1/rec1/link_0123456789.txt\n');
    expect(existsSync(join(dir, 'backups', 'before-upgrade.zip'))).toBe(true);
  });

  test.each([
    [['Before.zip'], 'hearth: Use lower-case letters, digits, "_", "." or "-", ending in .zip.\n'],
    [['../outside.zip'], 'hearth: Use lower-case letters, digits, "_", "." or "-", ending in .zip.\n'],
    [['before-upgrade.zip'], 'hearth: A backup named before-upgrade.zip exists already.\n'],
  ])('%j: exit 1 with the reason, nothing made', async (args, message) => {
    const before = readdirSync(join(dir, 'backups')).sort();
    const r = await cli('backup', 'create', ...args, '--dir', dir);
    expect(r).toEqual({ code: 1, stdout: '', stderr: message });
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(before);
    expect(existsSync(join(dir, 'outside.zip'))).toBe(false);
  });

  test('a folder with no Hearth data: exit 1, nothing made there', async () => {
    const empty = tempDir();
    const r = await cli('backup', 'create', '--dir', empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `hearth: There is no Hearth data in ${empty} (start Hearth once, or pass --dir).\n`,
    );
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('hearth backup list', () => {
  test('no backups yet', async () => {
    const dir = dataFolder(1);
    const r = await cli('backup', 'list', '--dir', dir);
    expect(r).toEqual({ code: 0, stdout: `no backups in ${join(dir, 'backups')}\n`, stderr: '' });
  });

  test('name, size and time, newest first; files that are not backups are not listed', async () => {
    const dir = dataFolder(1);
    expect((await cli('backup', 'create', 'first.zip', '--dir', dir)).code).toBe(0);
    expect((await cli('backup', 'create', 'second.zip', '--dir', dir)).code).toBe(0);
    writeFiles(dir, {
      'backups/notes.txt': 'not a backup',
      'backups/third.zip.0123456789ab.partial': 'half a backup',
    });
    const r = await cli('backup', 'list', '--dir', dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['second.zip', 'first.zip']);
    for (const line of lines) {
      const [key, size, modified] = line.split('\t');
      expect(Number(size)).toBe(statSync(join(dir, 'backups', key!)).size);
      expect(modified).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });
});

describe('hearth backup verify', () => {
  let dir: string;
  let good: string;
  beforeAll(async () => {
    dir = dataFolder();
    expect((await cli('backup', 'create', 'good.zip', '--dir', dir)).code).toBe(0);
    good = join(dir, 'backups', 'good.zip');
  });

  test('a good backup: ok, its entries, time and version', async () => {
    const r = await cli('backup', 'verify', good);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^ok: 6 entries, made \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z by Hearth ${HEARTH_VERSION}\\n$`),
    );
  });

  const hostile = (name: string, make: (good: Buffer) => Uint8Array) => {
    const file = join(tempDir(), name);
    writeFileSync(file, make(readFileSync(good)));
    return file;
  };

  test.each([
    [
      'an entry named ../x',
      () => {
        const entries = { 'data.db': new Uint8Array(8), '../x': Buffer.from('escaped') };
        return zipOf({ ...entries, 'manifest.json': manifestFor(entries) });
      },
      'hearth: The backup has an entry with an unsafe name (".." segment): "../x".\n',
    ],
    [
      'a symbolic link',
      () => {
        const entries = { 'data.db': new Uint8Array(8), 'storage/a/link': Buffer.from('/etc/passwd') };
        return zipOf({ ...entries, 'manifest.json': manifestFor(entries) }, { 'storage/a/link': 0o120777 });
      },
      'hearth: The backup has a symbolic link: storage/a/link.\n',
    ],
    [
      'a truncated backup',
      (zip: Buffer) => zip.subarray(0, zip.length - 100),
      'hearth: The backup is damaged or truncated (no end of central directory).\n',
    ],
    [
      'a text file',
      () => Buffer.from('hello'),
      'hearth: This is not a Hearth backup: the file is not a zip archive.\n',
    ],
  ])('%s: exit 1 with the reason, and nothing left beside it', async (name, make, message) => {
    const file = hostile('hostile.zip', make);
    const r = await cli('backup', 'verify', file);
    expect(r).toEqual({ code: 1, stdout: '', stderr: message });
    expect(readdirSync(join(file, '..'))).toEqual(['hostile.zip']);
  });

  test('a path that is not there: exit 1 with a clear message, no stack', async () => {
    const r = await cli('backup', 'verify', join(dir, 'nope.zip'));
    expect(r.code).toBe(1);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'hearth: Cannot open the backup nope.zip (ENOENT).\n' });
  });
});

describe('hearth backup restore', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  /** A data folder, a backup of it (snap.zip), then more rows and files after the backup. */
  async function folderWithBackup() {
    const dir = dataFolder(3);
    const atBackup = { rows: items(dir), storage: storageTree(dir) };
    expect((await cli('backup', 'create', 'snap.zip', '--dir', dir)).code).toBe(0);
    const later = testData({ dir });
    later.addItems(4);
    later.close();
    writeFiles(dir, { 'storage/pbc_1/rec3/later_0123456789.txt': 'after the backup' });
    expect(items(dir)).toHaveLength(7);
    return { dir, atBackup };
  }

  test('by name: the rows and files of the backup moment are back, the backups stay', async () => {
    const { dir, atBackup } = await folderWithBackup();
    const r = await cli('backup', 'restore', 'snap.zip', '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^restored ${join(dir, 'backups', 'snap.zip')} \\(made \\S+Z by Hearth ${HEARTH_VERSION}\\) into ${dir}; `,
      ),
    );
    expect(items(dir)).toEqual(atBackup.rows);
    expect(storageTree(dir)).toEqual(atBackup.storage);
    expect(readdirSync(join(dir, 'backups'))).toEqual(['snap.zip']);
    // No staging or old copies left behind.
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test('by path, into another (new) data folder', async () => {
    const { dir, atBackup } = await folderWithBackup();
    const target = join(tempDir(), 'moved-here');
    const r = await cli('backup', 'restore', join(dir, 'backups', 'snap.zip'), '--dir', target);
    expect(r.code).toBe(0);
    expect(items(target)).toEqual(atBackup.rows);
    expect(storageTree(target)).toEqual(atBackup.storage);
    // The source folder is not touched.
    expect(items(dir)).toHaveLength(7);
  });

  test('refused while a live process holds serve.lock; a stale lock (dead pid) is no refusal', async () => {
    const { dir, atBackup } = await folderWithBackup();
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(live);
    await new Promise((resolve) => live.once('spawn', resolve));
    writeFileSync(join(dir, 'serve.lock'), `${live.pid}\n`);

    const refused = await cli('backup', 'restore', 'snap.zip', '--dir', dir);
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `hearth: a Hearth server (pid ${live.pid}) is serving ${dir}: stop it first\n`,
    });
    expect(items(dir)).toHaveLength(7);

    const exited = new Promise((resolve) => live.once('exit', resolve));
    live.kill('SIGKILL');
    await exited;
    expect(readFileSync(join(dir, 'serve.lock'), 'utf8')).toBe(`${live.pid}\n`);
    const restored = await cli('backup', 'restore', 'snap.zip', '--dir', dir);
    expect(restored.code).toBe(0);
    expect(items(dir)).toEqual(atBackup.rows);
  });

  test('a backup that is neither in the folder nor a path: exit 1, data unchanged', async () => {
    const { dir } = await folderWithBackup();
    const r = await cli('backup', 'restore', 'nope.zip', '--dir', dir);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `hearth: no backup nope.zip (neither in ${join(dir, 'backups')} nor as a path)\n`,
    });
    expect(items(dir)).toHaveLength(7);
  });

  test('a hostile backup: exit 1 with the reason, nothing of it written, data unchanged', async () => {
    const { dir } = await folderWithBackup();
    const before = tree(dir);
    const entries = { 'data.db': new Uint8Array(8), 'storage/../../escaped': Buffer.from('x') };
    const file = join(tempDir(), 'evil.zip');
    writeFileSync(file, zipOf({ ...entries, 'manifest.json': manifestFor(entries) }));
    const r = await cli('backup', 'restore', file, '--dir', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'hearth: The backup has an entry with an unsafe name (".." segment): "storage/../../escaped".\n',
    );
    expect(tree(dir)).toEqual(before);
    expect(existsSync(join(dir, '..', 'escaped'))).toBe(false);
  });
});
