import { describe, expect, test } from 'vitest';
import type { Field } from '../collections/collection.model';
import { autogenerate, exportValue, prepareValue, toDateTime, toList, validateValue } from './record.values';

const field = (f: Partial<Field> & Pick<Field, 'type'>): Field =>
  ({ id: 'f', name: 'f', system: false, hidden: false, presentable: false, required: false, ...f }) as Field;

describe('record values', () => {
  test.each([
    ['[a-z0-9]{15}', /^[a-z0-9]{15}$/],
    ['[A-Z]{6}', /^[A-Z]{6}$/],
    ['inv-[0-9]{4}', /^inv-[0-9]{4}$/],
    ['[a-zA-Z0-9]{50}', /^[a-zA-Z0-9]{50}$/],
    ['[ab]{2,4}', /^[ab]{2,4}$/],
    ['(unsupported|regex)+', /^[a-z0-9]{15}$/],
  ])('autogenerate %s', (pattern, expected) => {
    for (let i = 0; i < 20; i++) expect(autogenerate(pattern)).toMatch(expected);
  });

  test.each([
    ['2024-01-02 03:04:05.000Z', '2024-01-02 03:04:05.000Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02 03:04:05.000Z'],
    ['2024-01-02 03:04:05', '2024-01-02 03:04:05.000Z'],
    ['2024-01-02', '2024-01-02 00:00:00.000Z'],
    ['not a date', ''],
    ['', ''],
    [null, ''],
  ])('toDateTime(%j) = %j', (input, expected) => expect(toDateTime(input)).toBe(expected));

  test('lists accept arrays, single values and JSON text, without duplicates or blanks', () => {
    expect(toList(['a', 'b', 'a', ''])).toEqual(['a', 'b']);
    expect(toList('a')).toEqual(['a']);
    expect(toList('["x","y"]')).toEqual(['x', 'y']);
    expect(toList(null)).toEqual([]);
  });

  test('lenient casts as PocketBase: "12" is a number, "true" a bool, a list to a single select keeps the last', () => {
    expect(prepareValue(field({ type: 'number', min: null, max: null, onlyInt: false }), '12.5')).toBe(12.5);
    expect(prepareValue(field({ type: 'bool' }), 'true')).toBe(1);
    expect(prepareValue(field({ type: 'select', values: ['a', 'b'], maxSelect: 1 }), ['a', 'b'])).toBe('b');
    expect(prepareValue(field({ type: 'select', values: ['a', 'b'], maxSelect: 2 }), 'a')).toBe('["a"]');
    expect(exportValue(field({ type: 'json', maxSize: 0 }), '{"k":[1]}')).toEqual({ k: [1] });
    expect(exportValue(field({ type: 'bool' }), 0)).toBe(false);
  });

  test('zero is "no value": only required applies', () => {
    const n = field({ type: 'number', min: 5, max: 10, onlyInt: false });
    expect(validateValue(n, 0)).toBeNull();
    expect(validateValue(n, 3)?.code).toBe('validation_min_number_constraint');
    expect(validateValue({ ...n, required: true } as Field, 0)?.code).toBe('validation_required');
  });
});
