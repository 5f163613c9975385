import { describe, expect, test } from 'vitest';
import { FIELD_TYPES as SERVER_TYPES } from '../../../../api/collections/collection.model';
import {
  FIELD_OPTIONS,
  FIELD_TYPES,
  freshFieldName,
  moved,
  newField,
  optionText,
  optionValue,
  renameInIndexes,
} from './fields';

describe('collection editor fields', () => {
  test('the editor knows every field type the server has', () => {
    expect([...FIELD_TYPES].sort()).toEqual([...SERVER_TYPES].sort());
  });

  test('every option the editor shows has a starting value in a new field', () => {
    for (const type of FIELD_TYPES) {
      const field = newField(type, 'f');
      for (const option of FIELD_OPTIONS[type])
        expect(field, `${type}.${option.name}`).toHaveProperty(option.name);
    }
  });

  test('new fields do not share option objects', () => {
    const a = newField('select', 'a');
    const b = newField('select', 'b');
    (a['values'] as string[]).push('x');
    expect(b['values']).toEqual([]);
  });

  test('fresh names skip taken ones, ignoring case', () => {
    expect(freshFieldName([])).toBe('field');
    expect(freshFieldName([{ name: 'Field' }, { name: 'field2' }])).toBe('field3');
  });

  test.each([
    ['list', 'a, b ,,c', ['a', 'b', 'c']],
    ['list', '  ', null],
    ['int', '', 0],
    ['int', '12', 12],
    ['nullableNumber', '', null],
    ['nullableNumber', '-1.5', -1.5],
    ['nullableNumber', 'ten', 'ten'],
    ['text', ' ^a$ ', ' ^a$ '],
  ] as const)('%s input %j becomes %j', (kind, text, value) => {
    expect(optionValue(text, kind)).toEqual(value);
  });

  test('option text round-trips lists and empty numbers', () => {
    expect(optionText(['a', 'b'], 'list')).toBe('a, b');
    expect(optionText(null, 'nullableNumber')).toBe('');
    expect(optionValue(optionText(['x', 'y'], 'list'), 'list')).toEqual(['x', 'y']);
  });

  test('moving a field stays within the list', () => {
    expect(moved(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moved(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moved(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
  });
});

describe('renaming a field renames it in the indexes', () => {
  test.each([
    ['CREATE INDEX idx_title ON posts (title)', 'CREATE INDEX idx_title ON posts (heading)'],
    ['CREATE UNIQUE INDEX "i" ON "posts" ("title", n)', 'CREATE UNIQUE INDEX "i" ON "posts" ("heading", n)'],
    [
      "CREATE INDEX i ON posts (`title` DESC) WHERE title != ''",
      "CREATE INDEX i ON posts (`heading` DESC) WHERE heading != ''",
    ],
    ['CREATE INDEX i ON title (title)', 'CREATE INDEX i ON title (heading)'],
    ['CREATE INDEX i ON posts (subtitle, title_2)', 'CREATE INDEX i ON posts (subtitle, title_2)'],
  ])('%s', (sql, renamed) => {
    expect(renameInIndexes([sql], 'title', 'heading')).toEqual([renamed]);
  });

  test('nothing changes without a real rename', () => {
    expect(renameInIndexes(['CREATE INDEX i ON t (a)'], 'a', 'a')).toEqual(['CREATE INDEX i ON t (a)']);
    expect(renameInIndexes(['CREATE INDEX i ON t (a)'], '', 'b')).toEqual(['CREATE INDEX i ON t (a)']);
  });
});
