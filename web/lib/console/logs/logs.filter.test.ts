import { describe, expect, test } from 'vitest';
// The server's own parser: a combined filter must mean to it what the console intends.
import { parseFilter, type FilterNode } from '../../../../api/lib/filter';
import { combineFilters, ERRORS_FILTER, levelFilter, levelName } from './logs.filter';

/** The filter as the server reads it: comparisons as `left op right`, groups in parentheses. */
function show(node: FilterNode): string {
  if (node.kind === 'comparison') {
    const operand = (o: typeof node.left) => ('name' in o ? o.name : String(o.value));
    return `${operand(node.left)} ${node.op} ${operand(node.right)}`;
  }
  return `(${node.items.map((item, i) => (i === 0 ? '' : ` ${item.join} `) + show(item.node)).join('')})`;
}

describe('combineFilters', () => {
  test.each([
    [[], ''],
    [['', '  ', null, undefined, false], ''],
    [[' data.status = 200 '], 'data.status = 200'],
    [['a = 1 || b = 2', ERRORS_FILTER], '(a = 1 || b = 2\n) && (data.status >= 400\n)'],
    [['', 'level >= 4', ERRORS_FILTER], '(level >= 4\n) && (data.status >= 400\n)'],
  ] as const)('%j → %j', (parts, filter) => {
    expect(combineFilters(...parts)).toBe(filter);
  });

  test.each([
    [['a = 1 || b = 2', ERRORS_FILTER], '((a = 1 || b = 2) && (data.status >= 400))'],
    // Regression: a comment ending the user's filter swallowed the `)` after it.
    [['data.status = 200 // only OK', ERRORS_FILTER], '((data.status = 200) && (data.status >= 400))'],
    [['// a note\nlevel >= 4 // and one more', 'level >= 0'], '((level >= 4) && (level >= 0))'],
  ] as const)('the server reads %j as %s', (parts, read) => {
    expect(show(parseFilter(combineFilters(...parts)))).toBe(read);
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
