import { describe, expect, test } from 'vitest';
import { exportText, ImportFileError, planImport } from './transfer';

const current = [
  { id: 'pbc_1', name: 'posts', type: 'base' },
  { id: 'pbc_2', name: 'tags', type: 'base' },
  { id: 'pbc_3', name: '_superusers', type: 'auth', system: true },
];

describe('collections import and export', () => {
  test('an export reads back as the same list', () => {
    const plan = planImport(exportText(current), current, false);
    expect(plan.collections).toEqual(current);
    expect(plan.added).toEqual([]);
    expect(plan.changed).toEqual(['posts', 'tags', '_superusers']);
  });

  test('new, changed and (with delete missing) deleted collections are told apart; system ones are never deleted', () => {
    const text = JSON.stringify({ collections: [{ id: 'pbc_1', name: 'posts2' }, { name: 'notes' }] });
    const plan = planImport(text, current, true);
    expect(plan.added).toEqual(['notes']);
    expect(plan.changed).toEqual(['posts2']);
    expect(plan.deleted).toEqual(['tags']);
    expect(planImport(text, current, false).deleted).toEqual([]);
  });

  test('a collection matched by name without an id counts as changed', () => {
    expect(planImport('[{"name":"TAGS"}]', current, false).changed).toEqual(['TAGS']);
  });

  test.each([
    ['not JSON', '{', 'notJson'],
    ['an empty list', '[]', 'notList'],
    ['an object without collections', '{"a":1}', 'notList'],
    ['a list with an unnamed item', '[{"type":"base"}]', 'unnamed'],
    ['a list with a non-object', '[1]', 'unnamed'],
  ])('%s is refused', (_name, text, reason) => {
    expect(() => planImport(text, current, false)).toThrow(new ImportFileError(reason));
  });
});
