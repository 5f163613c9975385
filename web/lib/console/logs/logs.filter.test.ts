import { describe, expect, test } from 'vitest';
import { combineFilters, ERRORS_FILTER, levelFilter, levelName } from './logs.filter';

describe('combineFilters', () => {
  test.each([
    [[], ''],
    [['', '  ', null, undefined, false], ''],
    [[' data.status = 200 '], 'data.status = 200'],
    [['a = 1 || b = 2', ERRORS_FILTER], '(a = 1 || b = 2) && (data.status >= 400)'],
    [['', 'level >= 4', ERRORS_FILTER], '(level >= 4) && (data.status >= 400)'],
  ] as const)('%j → %s', (parts, filter) => {
    expect(combineFilters(...parts)).toBe(filter);
  });
});

describe('levels', () => {
  test('levelFilter', () => {
    expect(levelFilter(null)).toBe('');
    expect(levelFilter(-4)).toBe('level >= -4');
    expect(levelFilter(Number.NaN)).toBe('');
  });

  test.each([
    [-4, 'debug'],
    [-8, 'debug'],
    [0, 'info'],
    [2, 'info'],
    [4, 'warn'],
    [8, 'error'],
    [12, 'error'],
    ['8', 'error'],
    ['', null],
    [null, null],
  ])('%j is %s', (level, name) => {
    expect(levelName(level)).toBe(name);
  });
});
