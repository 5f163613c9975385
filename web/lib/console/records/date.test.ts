import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatDateTime, fromLocalInput, parseDateTime, toLocalInput, utcOffsetLabel } from './date';

// Node re-reads TZ when it is assigned, so these run in a zone with an offset and a DST change.
const savedTz = process.env['TZ'];
beforeAll(() => {
  process.env['TZ'] = 'Europe/Berlin';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

describe('toLocalInput', () => {
  test.each([
    ['2024-01-02 03:04:05.678Z', '2024-01-02T04:04:05'], // winter: UTC+1
    ['2024-07-02 03:04:05.000Z', '2024-07-02T05:04:05'], // summer: UTC+2
    ['2024-12-31 23:30:00Z', '2025-01-01T00:30:00'], // crosses the year
    ['2024-01-02T03:04:05Z', '2024-01-02T04:04:05'], // ISO form too
    ['2024-01-02 03:04', '2024-01-02T04:04:00'], // no zone = UTC, as PocketBase
  ])('%s → %s', (stored, local) => {
    expect(toLocalInput(stored)).toBe(local);
  });

  test.each(['', 'yesterday', '2024-13-45 99:99:99Z', null, 42, undefined])('%j → empty', (value) => {
    expect(toLocalInput(value)).toBe('');
  });
});

describe('fromLocalInput', () => {
  test.each([
    ['2024-01-02T04:04:05', '2024-01-02 03:04:05.000Z'],
    ['2024-07-02T05:04', '2024-07-02 03:04:00.000Z'], // the input drops zero seconds
    ['2024-07-02T05:04:05.250', '2024-07-02 03:04:05.250Z'],
    ['2025-01-01T00:30:00', '2024-12-31 23:30:00.000Z'],
  ])('%s → %s', (local, stored) => {
    expect(fromLocalInput(local)).toBe(stored);
  });

  test.each(['', '2024-01-02', '2024-01-02 04:04', 'garbage', '2024-01-02T04:04:05Z'])(
    '%j → empty',
    (local) => {
      expect(fromLocalInput(local)).toBe('');
    },
  );

  test('round-trips any stored second', () => {
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 86_400_000 / 3 + 7_001_000) {
      const stored = formatDateTime(new Date(Math.floor(t / 1000) * 1000));
      expect(fromLocalInput(toLocalInput(stored))).toBe(stored);
    }
  });
});

test('parseDateTime reads offsets and refuses nonsense', () => {
  expect(parseDateTime('2024-01-02 03:04:05+02:00')?.toISOString()).toBe('2024-01-02T01:04:05.000Z');
  expect(parseDateTime('2024-01-02')).toBeNull();
});

test('utcOffsetLabel names the zone offset', () => {
  expect(utcOffsetLabel(new Date('2024-01-15T12:00:00Z'))).toBe('UTC+01:00');
  expect(utcOffsetLabel(new Date('2024-07-15T12:00:00Z'))).toBe('UTC+02:00');
});
