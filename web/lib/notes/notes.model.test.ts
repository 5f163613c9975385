import { describe, expect, test } from 'vitest';
import { newNoteKey } from '$lib/crypto';
import { bodyOf, emptyBody, newNoteId, openBody, sealBody, visibleNotes, type Note } from './notes.model';

const note = (over: Partial<Note>): Note => ({
  ...emptyBody(),
  id: 'x',
  version: 1,
  updated: '2026-01-01',
  mine: true,
  canEdit: true,
  ...over,
});

describe('notes model', () => {
  test('a body sealed for a note opens for that note and version only', () => {
    const key = newNoteKey();
    const body = { ...emptyBody(), title: 'Plans', text: '# Secret', tags: ['a'] };
    const sealed = sealBody('note1234567890a', 3, body, key);
    expect(openBody('note1234567890a', 3, sealed, key)).toEqual(body);
    expect(() => openBody('note1234567890a', 2, sealed, key)).toThrow();
    expect(() => openBody('othernote123456', 3, sealed, key)).toThrow();
  });

  test('bodies from other versions of the app are read safely', () => {
    expect(bodyOf({ title: 5, tags: ['x', 2], pinned: 'yes', extra: true })).toEqual({
      ...emptyBody(),
      tags: ['x'],
    });
  });

  test('attachments are kept only when well formed', () => {
    const key = 'A'.repeat(43);
    const good = { id: 'abcdefghij12345', name: 'plan.pdf', type: 'application/pdf', size: 12, key };
    const body = bodyOf({
      attachments: [
        good,
        { ...good, id: '../etc/passwd00' },
        { ...good, key: 'short' },
        { id: 'zzzzzzzzzzzzzzz', key, name: 5, size: 'big' },
        'not an object',
      ],
    });
    expect(body.attachments).toEqual([
      good,
      { id: 'zzzzzzzzzzzzzzz', key, name: 'zzzzzzzzzzzzzzz', type: '', size: 0 },
    ]);
    expect(bodyOf({ attachments: 'x' }).attachments).toBeUndefined();
  });

  test('ids are 15 characters of [a-z0-9], and bytes past 251 are drawn again', () => {
    expect(newNoteId()).toMatch(/^[a-z0-9]{15}$/);
    let calls = 0;
    const id = newNoteId((n) => new Uint8Array(n).fill(calls++ === 0 ? 255 : 1));
    expect(id).toBe('b'.repeat(15));
  });

  test('views, search and order', () => {
    const notes = [
      note({ id: 'a', title: 'Groceries', text: 'milk eggs', updated: '2026-01-02' }),
      note({ id: 'b', title: 'Trip', tags: ['travel'], pinned: true, updated: '2026-01-01' }),
      note({ id: 'c', title: 'Old', archived: true }),
      note({ id: 'd', title: 'Gone', trashed: true }),
    ];
    expect(visibleNotes(notes, 'notes', '').map((n) => n.id)).toEqual(['b', 'a']);
    expect(visibleNotes(notes, 'archive', '').map((n) => n.id)).toEqual(['c']);
    expect(visibleNotes(notes, 'trash', '').map((n) => n.id)).toEqual(['d']);
    expect(visibleNotes(notes, 'notes', 'EGGS milk').map((n) => n.id)).toEqual(['a']);
    expect(visibleNotes(notes, 'notes', 'travel').map((n) => n.id)).toEqual(['b']);
    expect(visibleNotes(notes, 'shared', '')).toEqual([]);
  });

  test('notes shared with the user show under "Shared with me" only, unless their owner trashed them', () => {
    const notes = [
      note({ id: 'own' }),
      note({ id: 's1', mine: false, canEdit: false, title: 'Shared plan' }),
      note({ id: 's2', mine: false, archived: true, updated: '2026-02-01' }),
      note({ id: 's3', mine: false, trashed: true }),
    ];
    for (const view of ['notes', 'archive', 'trash'] as const) {
      expect(visibleNotes(notes, view, '').every((n) => n.mine)).toBe(true);
    }
    expect(visibleNotes(notes, 'shared', '').map((n) => n.id)).toEqual(['s2', 's1']);
    expect(visibleNotes(notes, 'shared', 'plan').map((n) => n.id)).toEqual(['s1']);
  });
});
