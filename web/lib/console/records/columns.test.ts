import { describe, expect, test } from 'vitest';
import {
  COLUMNS_KEY_PREFIX,
  loadHiddenColumns,
  saveHiddenColumns,
  toggleColumn,
  type ColumnStorage,
} from './columns';

function memoryStorage(): ColumnStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe('column picker persistence', () => {
  test('remembers hidden columns per collection', () => {
    const storage = memoryStorage();
    saveHiddenColumns(storage, 'pbc_1', ['body', 'created']);
    saveHiddenColumns(storage, 'pbc_2', ['title']);
    expect(loadHiddenColumns(storage, 'pbc_1')).toEqual(['body', 'created']);
    expect(loadHiddenColumns(storage, 'pbc_2')).toEqual(['title']);
    expect(loadHiddenColumns(storage, 'pbc_3')).toEqual([]);
  });

  test('showing every column forgets the entry', () => {
    const storage = memoryStorage();
    saveHiddenColumns(storage, 'c', ['a']);
    saveHiddenColumns(storage, 'c', []);
    expect(storage.data.size).toBe(0);
  });

  test.each(['not json', '{"a":1}', '[1, null, "ok", "ok"]', ''])('reads %j safely', (raw) => {
    const storage = memoryStorage();
    storage.data.set(`${COLUMNS_KEY_PREFIX}c`, raw);
    expect(loadHiddenColumns(storage, 'c')).toEqual(raw.startsWith('[') ? ['ok'] : []);
  });

  test('storage that throws is not an error', () => {
    const broken: ColumnStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => undefined,
    };
    expect(loadHiddenColumns(broken, 'c')).toEqual([]);
    expect(() => saveHiddenColumns(broken, 'c', ['a'])).not.toThrow();
    expect(loadHiddenColumns(undefined, 'c')).toEqual([]);
  });

  test('toggleColumn hides and shows', () => {
    expect(toggleColumn([], 'a', false)).toEqual(['a']);
    expect(toggleColumn(['a', 'b'], 'a', true)).toEqual(['b']);
    expect(toggleColumn(['a'], 'a', false)).toEqual(['a']);
  });
});
