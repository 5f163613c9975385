import { openNote, sealNote, type NoteContent } from '$lib/crypto';

/**
 * A file attached to a note. Its bytes are uploaded sealed (web/lib/crypto sealAttachment) under a
 * key of its own, bound to the note id and `id`, as `<id>.bin`: the server sees neither the name
 * nor the type. The key lives here, inside the sealed body, so re-keying the note (a revoked share)
 * carries every attachment along without uploading them again.
 */
export interface AttachmentRef {
  /** 15 characters of [a-z0-9]: the stored file's name starts with it. */
  id: string;
  name: string;
  type: string;
  size: number;
  /** The attachment's own key, base64url. */
  key: string;
}

/** What a note holds once opened: everything the server must never see. */
export interface NoteBody {
  title: string;
  text: string;
  tags: string[];
  pinned: boolean;
  archived: boolean;
  trashed: boolean;
  /** Absent means none. */
  attachments?: AttachmentRef[];
}

/** A note as the app shows it: its record's id and version with the opened body. */
export interface Note extends NoteBody {
  id: string;
  version: number;
  /** When the server last stored it (PocketBase datetime text). */
  updated: string;
  /** The signed-in user's own note (else it is shared with them). */
  mine: boolean;
  /** Whether the signed-in user may save it: always for their own, per share for others'. */
  canEdit: boolean;
}

export function emptyBody(): NoteBody {
  return { title: '', text: '', tags: [], pinned: false, archived: false, trashed: false };
}

function attachmentOf(v: unknown): AttachmentRef | null {
  if (typeof v !== 'object' || v === null) return null;
  const a = v as Record<string, unknown>;
  if (typeof a['id'] !== 'string' || !/^[a-z0-9]{15}$/.test(a['id'])) return null;
  if (typeof a['key'] !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(a['key'])) return null;
  return {
    id: a['id'],
    key: a['key'],
    name: typeof a['name'] === 'string' && a['name'] ? a['name'] : a['id'],
    type: typeof a['type'] === 'string' ? a['type'] : '',
    size: Number.isSafeInteger(a['size']) ? (a['size'] as number) : 0,
  };
}

/** A body from opened content, tolerating fields a newer app added or an older one left out. */
export function bodyOf(content: NoteContent): NoteBody {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const attachments = Array.isArray(content['attachments'])
    ? content['attachments'].map(attachmentOf).filter((a): a is AttachmentRef => a !== null)
    : [];
  return {
    title: str(content['title']),
    text: str(content['text']),
    tags: Array.isArray(content['tags'])
      ? content['tags'].filter((t): t is string => typeof t === 'string')
      : [],
    pinned: content['pinned'] === true,
    archived: content['archived'] === true,
    trashed: content['trashed'] === true,
    ...(attachments.length > 0 ? { attachments } : {}),
  };
}

/** Seals the body's fields only (a Note passed as its body leaves its id, version and the rest out). */
export function sealBody(noteId: string, version: number, body: NoteBody, noteKey: Uint8Array): string {
  const { title, text, tags, pinned, archived, trashed, attachments } = body;
  const content = {
    title,
    text,
    tags,
    pinned,
    archived,
    trashed,
    ...(attachments?.length ? { attachments } : {}),
  };
  return sealNote({ noteId, version, content }, noteKey);
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

export type NoteView = 'notes' | 'archive' | 'trash' | 'shared';

function inView(n: Note, view: NoteView): boolean {
  // Notes shared with the user live in their own view: their flags are their owner's.
  if (view === 'shared') return !n.mine && !n.trashed;
  if (!n.mine) return false;
  return view === 'trash' ? n.trashed : !n.trashed && (view === 'archive') === n.archived;
}

/** The notes of a view that match a search over title, text and tags (case-insensitive, every word). */
export function visibleNotes(notes: readonly Note[], view: NoteView, search: string): Note[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return sortNotes(
    notes.filter((n) => {
      if (!inView(n, view)) return false;
      const hay = `${n.title}\n${n.text}\n${n.tags.join(' ')}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    }),
  );
}
