import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { contentType, mimeAllowed, sniff } from './files.mime';
import { isPlainFileName, snakeCase, storedName } from './files.names';
import { FileStorage } from './files.storage';
import { disposition, entityTag, matchesETag, parseRange, wantsDownload } from './files.serve';

const SUFFIX = '[a-z0-9]{10}';

describe('stored names', () => {
  test.each([
    ['Hello World.txt', `^hello_world_${SUFFIX}\\.txt$`],
    ['MyPhoto.JPG', `^my_photo_${SUFFIX}\\.JPG$`],
    ['archive.tar.gz', `^archive_${SUFFIX}\\.tar\\.gz$`],
    ['../../etc/passwd', `^passwd_${SUFFIX}$`],
    ['..\\..\\windows\\win.ini', `^win_${SUFFIX}\\.ini$`],
    ['a.txt', `^a[a-z0-9]{10}_${SUFFIX}\\.txt$`],
    ['Über Straße.pdf', `^über_straße_${SUFFIX}\\.pdf$`],
    ['x.p<h>p', `^x[a-z0-9]{10}_${SUFFIX}\\.php$`],
  ])('%s', (original, pattern) => {
    const name = storedName(original);
    expect(name).toMatch(new RegExp(pattern, 'u'));
    expect(isPlainFileName(name)).toBe(true);
  });

  test('names without a usable extension take the sniffed one; long parts are cut', () => {
    expect(storedName('README', '.txt')).toMatch(new RegExp(`^readme_${SUFFIX}\\.txt$`));
    expect(storedName('...', '.png')).toMatch(new RegExp(`^[a-z0-9]{10}_${SUFFIX}\\.png$`));
    const long = storedName(`${'a'.repeat(300)}.${'b'.repeat(40)}`);
    expect(long.length).toBeLessThanOrEqual(100 + 11 + 21);
    expect(isPlainFileName(long)).toBe(true);
  });

  test('every stored name is new, whatever the client sends', () => {
    const names = new Set(Array.from({ length: 200 }, () => storedName('same.txt')));
    expect(names.size).toBe(200);
    for (const nasty of ['', '.', '..', '/', '\\', '\0', '.htaccess', 'a/../../b', '%2e%2e%2f', 'con.txt']) {
      expect(isPlainFileName(storedName(nasty))).toBe(true);
    }
  });

  test('snake case splits camelCase and any separator', () => {
    expect(snakeCase('myFile-Name (2)')).toBe('my_file_name_2');
  });

  test('plain names only: no separators, no leading dot, no NUL', () => {
    for (const bad of ['', '.env', '..', 'a/b', 'a\\b', 'a\0b', 'x'.repeat(256)]) {
      expect(isPlainFileName(bad)).toBe(false);
    }
    expect(isPlainFileName('photo_abc.png')).toBe(true);
  });
});

describe('types from content', () => {
  test('binary formats by signature, text by UTF-8, anything else as octets', async () => {
    const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(await sniff(png)).toEqual({ mime: 'image/png', ext: '.png' });
    expect((await sniff(Buffer.from('hello, wörld'))).mime).toBe('text/plain');
    expect((await sniff(Buffer.from('{"a": 1}'))).mime).toBe('application/json');
    expect((await sniff(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).mime).toBe(
      'image/svg+xml',
    );
    expect((await sniff(Buffer.from('<!DOCTYPE html><p>x'))).mime).toBe('text/html');
    expect((await sniff(Buffer.from([0, 1, 2, 255, 254]))).mime).toBe('application/octet-stream');
    // A multi-byte character cut by the sample's end is still text.
    expect((await sniff(Buffer.from('ab€').subarray(0, 4))).mime).toBe('text/plain');
    expect(contentType({ mime: 'text/plain', ext: '.txt' })).toBe('text/plain; charset=utf-8');
    expect(contentType({ mime: 'image/png', ext: '.png' })).toBe('image/png');
  });

  test('allowed types match the sniffed type exactly (image/jpg names JPEG)', () => {
    expect(mimeAllowed('image/jpeg', ['image/jpg'])).toBe(true);
    expect(mimeAllowed('image/png', ['image/jpeg', ' IMAGE/PNG '])).toBe(true);
    expect(mimeAllowed('text/html', ['text/plain'])).toBe(false);
  });
});

describe('serving', () => {
  test('ranges: first, open-ended, suffix, clamped; malformed or several → whole file', () => {
    expect(parseRange('bytes=0-4', 10)).toEqual({ start: 0, end: 4 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ start: 8, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    for (const whole of [undefined, '', 'bytes=0-1,3-4', 'items=0-1', 'bytes=5-2', 'bytes=-', 'bytes=x-y']) {
      expect(parseRange(whole, 10)).toBeNull();
    }
  });

  test('entity tags compare weakly and accept *', () => {
    const tag = entityTag(1234, 1_700_000_000_123.4);
    expect(tag).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/);
    expect(matchesETag(tag, tag)).toBe(true);
    expect(matchesETag(`"x", W/${tag}`, tag)).toBe(true);
    expect(matchesETag('*', tag)).toBe(true);
    expect(matchesETag('"other"', tag)).toBe(false);
    expect(matchesETag(undefined, tag)).toBe(false);
  });

  test('inline only for types a browser shows safely; download forces an attachment', () => {
    expect(disposition('image/png', 'a.png', false)).toMatch(/^inline; /);
    expect(disposition('image/png', 'a.png', true)).toMatch(/^attachment; /);
    expect(disposition('text/html', 'a.html', false)).toMatch(/^attachment; /);
    expect(disposition('image/svg+xml', 'a.svg', false)).toMatch(/^attachment; /);
    expect(disposition('text/plain', 'über "x".txt', false)).toBe(
      `attachment; filename="_ber _x_.txt"; filename*=UTF-8''%C3%BCber%20%22x%22.txt`,
    );
    expect(['1', 'true', 't', 'TRUE'].every(wantsDownload)).toBe(true);
    expect([undefined, '', '0', 'false', 'yes'].some(wantsDownload)).toBe(false);
  });
});

describe('storage', () => {
  test('opening removes uploads left by a crash, not ones still being written', () => {
    const root = mkdtempSync(join(tmpdir(), 'hearth-files-'));
    try {
      const tmp = join(root, '.tmp');
      mkdirSync(tmp, { recursive: true });
      writeFileSync(join(tmp, 'upload_stale'), 'x');
      const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
      utimesSync(join(tmp, 'upload_stale'), hoursAgo, hoursAgo);
      writeFileSync(join(tmp, 'upload_live'), 'x');
      new FileStorage(root).open();
      expect(existsSync(join(tmp, 'upload_stale'))).toBe(false);
      expect(existsSync(join(tmp, 'upload_live'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('paths exist only for plain names', () => {
    const storage = new FileStorage('/data/storage');
    expect(storage.filePath('pbc_1', 'abc', 'a.txt')).toBe('/data/storage/pbc_1/abc/a.txt');
    expect(storage.thumbPath('pbc_1', 'abc', 'a.png', '10x10t')).toBe(
      '/data/storage/pbc_1/abc/thumbs_a.png/10x10t_a.png',
    );
    for (const [c, r, n] of [
      ['..', 'abc', 'a.txt'],
      ['pbc_1', '..', 'a.txt'],
      ['pbc_1', 'a/b', 'a.txt'],
      ['pbc_1', 'abc', '../a.txt'],
      ['pbc_1', 'abc', '.hidden'],
    ] as const) {
      expect(storage.filePath(c, r, n)).toBeNull();
    }
    expect(storage.thumbPath('pbc_1', 'abc', 'a.png', '../x')).toBeNull();
  });
});
