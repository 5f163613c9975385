import { posix, win32 } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  assertRestorable,
  BACKUP_NAME_RE,
  BackupError,
  compareVersions,
  defaultBackupName,
  entryPathProblem,
  parseManifest,
} from './backups.manifest';
import { BUILD, manifestFor } from './backups.testing';

function thrown(fn: () => unknown): BackupError | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BackupError);
    return err as BackupError;
  }
  return undefined;
}

describe('entryPathProblem', () => {
  test.each([
    'data.db',
    'manifest.json',
    'storage/pbc_1/rec1/photo.jpg',
    'storage/pbc_1/rec2/übersicht_q1w2e3r4t5.md',
    'storage/a/thumbs_x.png/100x100_x.png',
    'storage/..hidden',
    'storage/a..b',
  ])('accepts %j', (name) => {
    expect(entryPathProblem(name)).toBeNull();
  });

  test.each([
    ['', 'empty'],
    ['../x', 'segment'],
    ['storage/../x', 'segment'],
    ['storage/../../etc/passwd', 'segment'],
    ['storage/./x', 'segment'],
    ['storage//x', 'segment'],
    ['storage/x/', 'segment'],
    ['/etc/x', 'absolute'],
    ['//server/share/x', 'absolute'],
    ['..\\x', 'backslash'],
    ['storage\\..\\..\\x', 'backslash'],
    ['C:/Windows/x', 'colon'],
    ['C:x', 'colon'],
    ['storage/a:stream', 'colon'],
    ['storage/a\u0000.jpg', 'control'],
    ['storage/a\n', 'control'],
    ['storage/' + 'a'.repeat(256), 'too long'],
    ['storage', 'not part'],
    ['auxiliary.db', 'not part'],
    ['backups/x.zip', 'not part'],
    ['x', 'not part'],
    ['data.db/x', 'not part'],
  ])('refuses %j (%s)', (name, why) => {
    expect(entryPathProblem(name)).toContain(why);
  });

  const segment = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });
  const name = fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => ['storage', ...s].join('/')),
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      'data.db',
      'manifest.json',
      '../data.db',
      'storage/..',
      '/storage/x',
      'storage/..\\..\\..\\x',
      'storage/C:/x',
    ),
  );

  test('an accepted name joined to any folder stays inside it, on POSIX and on Windows', () => {
    fc.assert(
      fc.property(name, (candidate) => {
        if (entryPathProblem(candidate) !== null) return;
        expect(posix.normalize(candidate)).toBe(candidate);
        for (const [path, root] of [
          [posix, '/srv/hearth/.restore-x'],
          [win32, 'D:\\hearth\\.restore-x'],
        ] as const) {
          const inside = path.relative(root, path.resolve(root, candidate));
          expect(inside.startsWith('..') || path.isAbsolute(inside) || inside === '').toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('a name with a traversal, absolute, backslash or NUL part is refused wherever that part is', () => {
    const bad = fc.constantFrom('..', '.', '', '\u0000', 'a\\..', 'C:', 'x\u0000y');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 4 }), bad, fc.nat(), (segments, part, at) => {
        const parts = ['storage', ...segments];
        parts.splice(1 + (at % (segments.length + 1)), 0, part);
        expect(entryPathProblem(parts.join('/'))).not.toBeNull();
        expect(entryPathProblem('/' + parts.join('/'))).not.toBeNull();
      }),
    );
  });

  test('names of plain segments under storage/ are accepted', () => {
    const plain = fc
      .stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,40}$/)
      .filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(plain, { minLength: 1, maxLength: 6 }), (segments) => {
        expect(entryPathProblem(['storage', ...segments].join('/'))).toBeNull();
      }),
    );
  });
});

describe('compareVersions', () => {
  test.each([
    ['0.1.0', '0.1.0', 0],
    ['0.1.0', '0.2.0', -1],
    ['1.0.0', '0.9.9', 1],
    ['0.10.0', '0.9.0', 1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0+build.5', '1.0.0', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b)!)).toBe(sign);
    expect(Math.sign(compareVersions(b, a)!)).toBe(-sign || 0);
  });

  test('not semver', () => {
    expect(compareVersions('dev', '0.1.0')).toBeNull();
  });
});

describe('parseManifest and assertRestorable', () => {
  const ok = JSON.parse(Buffer.from(manifestFor({ 'data.db': new Uint8Array(1) })).toString()) as Record<
    string,
    unknown
  >;
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

  test.each([
    ['not JSON', Buffer.from('{'), 'not-a-backup'],
    ['not UTF-8', Buffer.from([0xff, 0xfe]), 'not-a-backup'],
    ['another app', bytes({ ...ok, app: 'pocketbase' }), 'not-a-backup'],
    ['a bad hash', bytes({ ...ok, entries: [{ path: 'data.db', size: 1, sha256: 'x' }] }), 'not-a-backup'],
    [
      'a negative size',
      bytes({ ...ok, entries: [{ path: 'data.db', size: -1, sha256: '0'.repeat(64) }] }),
      'not-a-backup',
    ],
    ['a newer format', bytes({ ...ok, format: 2, entries: 'whatever' }), 'newer'],
  ])('%s', (_, input, code) => {
    expect(thrown(() => parseManifest(input))).toMatchObject({ code });
  });

  test('a manifest of this build passes', () => {
    expect(parseManifest(bytes(ok)).version).toBe('0.1.0');
    expect(() => assertRestorable(parseManifest(bytes(ok)), BUILD)).not.toThrow();
  });

  test.each([
    ['an older version', { version: '0.0.9' }, null],
    ['fewer migrations (an older Hearth)', { migrations: BUILD.knownMigrations.slice(0, 1) }, null],
    ['a newer version', { version: '0.2.0' }, /newer Hearth \(0\.2\.0\) than this one \(0\.1\.0\)/],
    [
      'an unknown migration',
      { migrations: [...BUILD.knownMigrations, 'future/20991231000000_x'] },
      /migrations this one \(0\.1\.0\) does not know \(future\/20991231000000_x\)\. Restore it with the Hearth that made it \(0\.1\.0\)/,
    ],
  ])('%s', (_, changes, message) => {
    const manifest = parseManifest(bytes({ ...ok, ...changes }));
    const error = thrown(() => assertRestorable(manifest, BUILD));
    if (message === null) expect(error).toBeUndefined();
    else expect(error).toMatchObject({ code: 'newer', message: expect.stringMatching(message) });
  });
});

test('backup names', () => {
  const name = defaultBackupName(new Date('2026-11-22T02:30:05Z'));
  expect(name).toBe('hearth_backup_20261122023005.zip');
  expect(BACKUP_NAME_RE.test(name)).toBe(true);
  for (const bad of ['../x.zip', 'x.zip/..', '.zip', 'a/b.zip', 'X.ZIP', 'x.zip\u0000']) {
    expect(BACKUP_NAME_RE.test(bad)).toBe(false);
  }
});
