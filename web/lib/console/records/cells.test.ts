import type { CollectionField } from 'pocketbase';
import { describe, expect, test } from 'vitest';
import { CELL_MAX, cellText, formatBytes, truncate } from './cells';

const field = (type: string, extra: Record<string, unknown> = {}): CollectionField => ({
  id: type,
  name: type,
  type,
  system: false,
  hidden: false,
  presentable: false,
  ...extra,
});
const words = { yes: 'yes', no: 'no' };

describe('cellText', () => {
  test.each([
    ['text', 'hello', 'hello'],
    ['text', 'two\nlines', 'two lines'],
    ['text', '', ''],
    ['number', 0, '0'],
    ['number', -2.5, '-2.5'],
    ['bool', true, 'yes'],
    ['bool', false, 'no'],
    ['email', 'a@b.c', 'a@b.c'],
    ['date', '2024-01-02 03:04:05.678Z', '2024-01-02 03:04:05 UTC'],
    ['autodate', '2024-01-02 03:04:05.000Z', '2024-01-02 03:04:05 UTC'],
    ['date', '', ''],
    ['json', { a: [1, 'x'] }, '{"a":[1,"x"]}'],
    ['json', 'text', '"text"'],
    ['json', null, ''],
    ['editor', '<p>Hello&nbsp;<b>world</b> &amp; you</p><script>x()</script>', 'Hello world & you'],
    ['select', ['a', 'b'], 'a, b'],
    ['select', 'a', 'a'],
    ['relation', [], ''],
    ['file', ['a.png', 'b.txt'], 'a.png, b.txt'],
  ])('%s %j → %j', (type, value, text) => {
    expect(cellText(field(type), value, words)).toBe(text);
  });

  test('cuts long values', () => {
    const text = cellText(field('text'), 'x'.repeat(500), words);
    expect(text).toHaveLength(CELL_MAX);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('truncate', () => {
  test('keeps surrogate pairs whole', () => {
    expect(truncate('😀'.repeat(5), 3)).toBe('😀😀…');
    expect(truncate('😀😀', 2)).toBe('😀😀');
  });
});

test.each([
  [0, '0 B'],
  [512, '512 B'],
  [1536, '1.5 KB'],
  [5 * 1024 * 1024, '5 MB'],
  [15.4 * 1024 * 1024, '15 MB'],
  [3 * 1024 ** 5, '3072 TB'],
])('formatBytes(%i) → %s', (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});
