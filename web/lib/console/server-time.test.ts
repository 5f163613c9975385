import { describe, expect, test } from 'vitest';
import { formatElapsed, formatServerTime, isoServerTime, parseServerTime } from './server-time';

describe('parseServerTime', () => {
  test.each([
    ['2026-11-22 14:00:00.000Z', '2026-11-22T14:00:00.000Z'],
    ['2026-11-22T14:00:00Z', '2026-11-22T14:00:00.000Z'],
    ['2026-11-22 14:00:00', '2026-11-22T14:00:00.000Z'], // no zone: UTC, as PocketBase
  ])('%s is %s', (text, iso) => {
    expect(parseServerTime(text)?.toISOString()).toBe(iso);
  });

  test.each(['', 'soon', null, undefined, '9999-12-31 23:59:59.999Z'])('%s is no time', (text) => {
    expect(parseServerTime(text)).toBeNull();
  });
});

describe('formatServerTime', () => {
  test('shows the time in the language and zone asked for', () => {
    const at = '2026-11-22 14:05:09.000Z';
    expect(formatServerTime(at, 'en', 'UTC')).toBe('Nov 22, 2026, 2:05:09 PM');
    expect(formatServerTime(at, 'de', 'Europe/Berlin')).toBe('22.11.2026, 15:05:09');
  });

  test('is empty for no time and for "never"', () => {
    expect(formatServerTime('', 'en')).toBe('');
    expect(formatServerTime('9999-12-31 23:59:59.999Z', 'en')).toBe('');
  });

  test('isoServerTime gives the datetime attribute', () => {
    expect(isoServerTime('2026-11-22 14:05:09.123Z')).toBe('2026-11-22T14:05:09.123Z');
    expect(isoServerTime('')).toBeUndefined();
  });
});

describe('formatElapsed', () => {
  const start = '2026-11-22 14:00:00.000Z';
  test.each([
    ['2026-11-22 14:00:00.350Z', '350 ms'],
    ['2026-11-22 14:00:01.250Z', '1.3 sec'],
    ['2026-11-22 14:00:42.000Z', '42 sec'],
    ['2026-11-22 14:03:00.000Z', '3 min'],
    ['2026-11-22 16:30:00.000Z', '2.5 hr'],
  ])('to %s is %s', (finished, text) => {
    expect(formatElapsed(start, finished, 'en')).toBe(text);
  });

  test('is empty while a run has not finished', () => {
    expect(formatElapsed(start, '', 'en')).toBe('');
  });
});
