import { openNote, sealNote, type NoteContent } from '$lib/crypto';

/** What a note holds once opened: everything the server must never see. */
export interface NoteBody {
  title: string;
  text: string;
  tags: string[];
  pinned: boolean;
  archived: boolean;
  trashed: boolean;
}

/** A note as the app shows it: its record's id and version with the opened body. */
export interface Note extends NoteBody {
  id: string;
  version: number;
  /** When the server last stored it (PocketBase datetime text). */
  updated: string;
}

export function emptyBody(): NoteBody {
  return { title: '', text: '', tags: [], pinned: false, archived: false, trashed: false };
}

/** A body from opened content, tolerating fields a newer app added or an older one left out. */
export function bodyOf(content: NoteContent): NoteBody {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    title: str(content['title']),
    text: str(content['text']),
    tags: Array.isArray(content['tags'])
      ? content['tags'].filter((t): t is string => typeof t === 'string')
      : [],
    pinned: content['pinned'] === true,
    archived: content['archived'] === true,
    trashed: content['trashed'] === true,
  };
}

export function sealBody(noteId: string, version: number, body: NoteBody, noteKey: Uint8Array): string {
  return sealNote({ noteId, version, content: { ...body } }, noteKey);
}

export function openBody(noteId: string, version: number, ciphertext: string, noteKey: Uint8Array): NoteBody {
  return bodyOf(openNote(ciphertext, { noteId, version }, noteKey));
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A record id made in the browser (PocketBase's 15 characters of [a-z0-9]): the note's id is sealed
 * into its ciphertext, so it must be known before the first save.
 */
export function newNoteId(
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): string {
  let id = '';
  // 36 does not divide 256: bytes past the largest multiple are drawn again, so every letter is as likely.
  while (id.length < 15) {
    for (const byte of random(32)) {
      if (byte < 252 && id.length < 15) id += ID_ALPHABET[byte % 36];
    }
  }
  return id;
}

/** Pinned first, then the most recently changed; trashed and archived notes only in their own views. */
export function sortNotes(notes: readonly Note[]): Note[] {
  return [...notes].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updated.localeCompare(a.updated));
}

export type NoteView = 'notes' | 'archive' | 'trash';

/** The notes of a view that match a search over title, text and tags (case-insensitive, every word). */
export function visibleNotes(notes: readonly Note[], view: NoteView, search: string): Note[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return sortNotes(
    notes.filter((n) => {
      const inView = view === 'trash' ? n.trashed : !n.trashed && (view === 'archive') === n.archived;
      if (!inView) return false;
      const hay = `${n.title}\n${n.text}\n${n.tags.join(' ')}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    }),
  );
}
