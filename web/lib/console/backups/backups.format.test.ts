import { describe, expect, test } from 'vitest';
import { backupFileName, formatBytes, uploadPercent } from './backups.format';

describe('backupFileName', () => {
  test.each([
    ['', ''],
    ['   ', ''],
    ['before-upgrade', 'before-upgrade.zip'],
    [' nightly.zip ', 'nightly.zip'],
    ['Shout.ZIP', 'Shout.ZIP'], // the server refuses capitals and says so
  ])('%j → %j', (input, name) => {
    expect(backupFileName(input)).toBe(name);
  });
});

describe('formatBytes', () => {
  test.each([
    [0, 'en', '0 byte'],
    [999, 'en', '999 byte'],
    [1500, 'en', '1.5 kB'],
    [2_345_678, 'en', '2.3 MB'],
    [2_345_678, 'de', '2,3 MB'],
    [512_000_000, 'en', '512 MB'],
    [3_000_000_000, 'en', '3 GB'],
  ])('%d in %s is %s', (bytes, lang, text) => {
    expect(formatBytes(bytes, lang)).toBe(text);
  });
});

describe('uploadPercent', () => {
  test.each([
    [0, 100, 0],
    [50, 200, 25],
    [199, 200, 99],
    [300, 200, 100],
    [10, 0, null],
  ])('%d of %d is %s', (loaded, total, percent) => {
    expect(uploadPercent(loaded, total)).toBe(percent);
  });
});
