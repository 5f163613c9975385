import { describe, expect, test } from 'vitest';
import { fillHourlyBuckets, HOUR_MS, niceCeiling, parseLogDate } from './logs.stats';

const at = (iso: string) => Date.parse(iso);

describe('parseLogDate', () => {
  test.each([
    ['2026-11-22 08:00:00.000Z', at('2026-11-22T08:00:00.000Z')],
    ['2026-11-22T08:30:00Z', at('2026-11-22T08:30:00Z')],
  ])('%s', (text, ms) => {
    expect(parseLogDate(text)).toBe(ms);
  });

  test('text that is no date is NaN', () => {
    expect(parseLogDate('yesterday')).toBeNaN();
  });
});

describe('fillHourlyBuckets', () => {
  test('fills the hours between, with errors beside totals', () => {
    const buckets = fillHourlyBuckets(
      [
        { total: 5, date: '2026-11-22 08:00:00.000Z' },
        { total: 2, date: '2026-11-22 11:00:00.000Z' },
      ],
      [{ total: 1, date: '2026-11-22 11:00:00.000Z' }],
    );
    expect(buckets).toEqual([
      { start: at('2026-11-22T08:00:00Z'), total: 5, errors: 0 },
      { start: at('2026-11-22T09:00:00Z'), total: 0, errors: 0 },
      { start: at('2026-11-22T10:00:00Z'), total: 0, errors: 0 },
      { start: at('2026-11-22T11:00:00Z'), total: 2, errors: 1 },
    ]);
  });

  test('runs on to the hour of `until`', () => {
    const buckets = fillHourlyBuckets([{ total: 1, date: '2026-11-22 08:00:00.000Z' }], [], {
      until: at('2026-11-22T10:59:59Z'),
    });
    expect(buckets.map((b) => b.total)).toEqual([1, 0, 0]);
  });

  test('shows at least minHours, ending at the last hour', () => {
    const buckets = fillHourlyBuckets([{ total: 2, date: '2026-11-22 08:00:00.000Z' }], [], { minHours: 3 });
    expect(buckets.map((b) => [b.start, b.total])).toEqual([
      [at('2026-11-22T06:00:00Z'), 0],
      [at('2026-11-22T07:00:00Z'), 0],
      [at('2026-11-22T08:00:00Z'), 2],
    ]);
  });

  test('keeps the latest maxHours only', () => {
    const buckets = fillHourlyBuckets(
      [
        { total: 1, date: '1970-01-01 00:00:00.000Z' },
        { total: 3, date: '2026-11-22 08:00:00.000Z' },
      ],
      [],
      { maxHours: 2 },
    );
    expect(buckets).toEqual([
      { start: at('2026-11-22T07:00:00Z'), total: 0, errors: 0 },
      { start: at('2026-11-22T08:00:00Z'), total: 3, errors: 0 },
    ]);
  });

  test('no figures, no hours; unreadable dates are skipped', () => {
    expect(fillHourlyBuckets([], [])).toEqual([]);
    expect(fillHourlyBuckets([{ total: 1, date: 'never' }], [])).toEqual([]);
  });

  test('a date inside an hour counts for that hour', () => {
    const [bucket] = fillHourlyBuckets([{ total: 4, date: '2026-11-22 08:20:00.000Z' }], []);
    expect(bucket!.start % HOUR_MS).toBe(0);
  });
});

test.each([
  [0, 1],
  [1, 1],
  [3, 5],
  [7, 10],
  [12, 20],
  [101, 200],
  [4999, 5000],
])('niceCeiling(%i) = %i', (max, nice) => {
  expect(niceCeiling(max)).toBe(nice);
});
