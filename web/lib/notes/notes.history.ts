import { api } from '$lib/api/client';
import { unwrapKey } from '$lib/crypto';
import { openBody, type NoteBody } from './notes.model';
import { notesStore, type Saved } from './notes.store.svelte';
import { vault } from './vault.svelte';

export const VERSIONS = 'notes_versions';
/** A save is kept in the history when the note's last kept version is older than this. */
export const KEEP_EVERY_MS = 5 * 60_000;
/** The owner keeps this many versions per note; older ones are deleted as new ones come. */
export const KEEP_AT_MOST = 50;

/** One kept version of a note, opened, or `body: null` when its key is not the user's to open. */
export interface NoteVersion {
  id: string;
  version: number;
  created: string;
  body: NoteBody | null;
}

const lastKept = new Map<string, number>();

/**
 * Keeps a save in the note's encrypted history (notes_versions): the same ciphertext the note row
 * holds, with the owner's wrapped key it was sealed under, so a later re-key does not orphan it.
 * Autosave saves often, so at most one version per note every KEEP_EVERY_MS (the first save of a
 * session always). The history is a convenience: a failure to keep one is not the save's failure.
 */
export function keepVersion(saved: Saved, now = Date.now()): void {
  const id = saved.note.id;
  if (now - (lastKept.get(id) ?? -Infinity) < KEEP_EVERY_MS) return;
  lastKept.set(id, now);
  void api()
    .collection(VERSIONS)
    .create(
      { note: id, version: saved.note.version, ciphertext: saved.ciphertext, keyWrap: saved.keyWrap },
      { requestKey: null },
    )
    .then(() => (saved.note.mine ? prune(id) : undefined))
    .catch(() => lastKept.delete(id)); // try again at the next save
}

/** Deletes the owner's oldest versions of a note beyond KEEP_AT_MOST. */
async function prune(noteId: string): Promise<void> {
  const pb = api();
  const old = await pb.collection(VERSIONS).getList(2, KEEP_AT_MOST, {
    filter: pb.filter('note = {:note}', { note: noteId }),
    // By time: the newest kept come first (the create rule ties a version to the note's own number).
    sort: '-created,-version',
    fields: 'id',
    skipTotal: true,
    requestKey: null,
  });
  await Promise.all(old.items.map((v) => pb.collection(VERSIONS).delete(v.id, { requestKey: null })));
}

/** Forgets when versions were kept (on lock: the next session starts its own history). */
export function forgetKept(): void {
  lastKept.clear();
}

/**
 * The kept versions of a note, newest first, opened: under the note's current key, or (for its
 * owner) under the key each was sealed with. A recipient cannot open versions from before a re-key.
 */
export async function listVersions(noteId: string): Promise<NoteVersion[]> {
  const pb = api();
  const rows = await pb.collection(VERSIONS).getFullList({
    filter: pb.filter('note = {:note}', { note: noteId }),
    sort: '-version,-created',
    fields: 'id,version,ciphertext,keyWrap,created',
    requestKey: null,
  });
  const current = notesStore.keyOf(noteId);
  const currentWrap = notesStore.ownerWrapOf(noteId);
  const mine = notesStore.notes.find((n) => n.id === noteId)?.mine === true;
  return rows.map((row) => {
    const version = Number(row['version']);
    const wrap = String(row['keyWrap']);
    let body: NoteBody | null = null;
    // A key unwrapped here for an older version is used once, then zeroed.
    const older = wrap !== currentWrap && mine ? wrap : null;
    let key: Uint8Array | undefined;
    try {
      key = older ? unwrapKey(older, vault.masterKey, 'note') : wrap === currentWrap ? current : undefined;
      if (key) body = openBody(noteId, version, String(row['ciphertext']), key);
    } catch {
      body = null;
    } finally {
      if (older) key?.fill(0);
    }
    return { id: row.id, version, created: String(row['created'] ?? ''), body };
  });
}
