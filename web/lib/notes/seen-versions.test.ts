import { describe, expect, test } from 'vitest';
import { SeenVersions, type SeenStorage } from './seen-versions';
import { memoryStorage } from './testing';

describe('SeenVersions', () => {
  test('a version older than one seen is a rollback, after a reload too', () => {
    const storage = memoryStorage();
    const seen = new SeenVersions(storage, 'u1');
    expect(seen.isRollback('n1', 1)).toBe(false);
    seen.note('n1', 5);
    seen.note('n1', 3); // never lowers the mark
    expect(seen.isRollback('n1', 4)).toBe(true);
    expect(seen.isRollback('n1', 5)).toBe(false);
    const reloaded = new SeenVersions(storage, 'u1');
    expect(reloaded.isRollback('n1', 4)).toBe(true);
    expect(reloaded.get('n1')).toBe(5);
  });

  test('marks are per user, and a deleted note forgets its mark', () => {
    const storage = memoryStorage();
    new SeenVersions(storage, 'u1').note('n1', 9);
    expect(new SeenVersions(storage, 'u2').get('n1')).toBe(0);
    const seen = new SeenVersions(storage, 'u1');
    seen.forget('n1');
    expect(new SeenVersions(storage, 'u1').get('n1')).toBe(0);
  });

  test.each([['not json'], ['[1,2]'], ['null'], ['{"n1":"7","n2":-1,"n3":1.5,"n4":4}']])(
    'a damaged entry %s counts as nothing seen, except valid marks',
    (stored) => {
      const seen = new SeenVersions(memoryStorage({ 'hearth_notes_seen:u1': stored }), 'u1');
      expect(['n1', 'n2', 'n3'].map((id) => seen.get(id))).toEqual([0, 0, 0]);
      expect(seen.get('n4')).toBe(stored.includes('"n4":4') ? 4 : 0);
    },
  );

  test('no storage, or a full one, still guards for the life of the page', () => {
    const seen = new SeenVersions(null, 'u1');
    seen.note('n1', 2);
    expect(seen.isRollback('n1', 1)).toBe(true);
    const full: SeenStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const guarded = new SeenVersions(full, 'u1');
    guarded.note('n1', 2);
    expect(guarded.isRollback('n1', 1)).toBe(true);
  });
});
