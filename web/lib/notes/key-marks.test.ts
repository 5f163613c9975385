import { describe, expect, test } from 'vitest';
import { KeyMarks } from './key-marks';
import { memoryStorage } from './testing';

describe('KeyMarks', () => {
  test('a wrapped key replaced by another is never accepted again, after a reload too', () => {
    const storage = memoryStorage();
    const marks = new KeyMarks(storage, 'u1');
    marks.use('n1', 'old');
    expect(marks.isRetired('n1', 'old')).toBe(false);
    marks.use('n1', 'new');
    expect(marks.isRetired('n1', 'old')).toBe(true);
    expect(marks.isRetired('n1', 'new')).toBe(false);
    const reloaded = new KeyMarks(storage, 'u1');
    expect(reloaded.isRetired('n1', 'old')).toBe(true);
    expect(reloaded.isRetired('n2', 'old')).toBe(false); // per note
    expect(new KeyMarks(storage, 'u2').isRetired('n1', 'old')).toBe(false); // per user
  });

  test('a deleted note forgets its marks; a damaged entry counts as none', () => {
    const storage = memoryStorage();
    const marks = new KeyMarks(storage, 'u1');
    marks.use('n1', 'a');
    marks.use('n1', 'b');
    marks.forget('n1');
    expect(new KeyMarks(storage, 'u1').isRetired('n1', 'a')).toBe(false);
    storage.data.set('hearth_notes_keys_seen:u1', '{"n1":{"current":5,"retired":"a"},"n2":[]}');
    expect(new KeyMarks(storage, 'u1').isRetired('n1', 'a')).toBe(false);
    storage.data.set('hearth_notes_keys_seen:u1', 'not json');
    expect(new KeyMarks(storage, 'u1').isRetired('n1', 'a')).toBe(false);
  });

  test('the list of retired keys per note is bounded', () => {
    const marks = new KeyMarks(null, 'u1');
    for (let i = 0; i < 30; i++) marks.use('n1', `k${i}`);
    expect(marks.isRetired('n1', 'k28')).toBe(true);
    expect(marks.isRetired('n1', 'k0')).toBe(false); // forgotten: the oldest beyond 20
  });
});
