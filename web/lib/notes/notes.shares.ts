import { ClientResponseError } from 'pocketbase';
import { api } from '$lib/api/client';
import { fromBase64Url, openLabel, sealLabel, wrapNoteKeyFor } from '$lib/crypto';
import { NoteConflict, notesStore, SHARES } from './notes.store.svelte';
import { vault } from './vault.svelte';

/** One person a note is shared with, as its owner sees it. */
export interface Share {
  id: string;
  recipient: string;
  /** The email the owner shared with (sealed for the owner alone); null when it does not open. */
  email: string | null;
  canEdit: boolean;
  /** Whether the recipient proved they own the address (known when the share is made). */
  verified?: boolean;
}

/** Why sharing with an address failed, for the app to say so. */
export class ShareRefused extends Error {
  constructor(readonly reason: 'unknown' | 'self' | 'already') {
    super(`The note cannot be shared (${reason}).`);
  }
}

const where = (noteId: string, recipient: string) => `share ${noteId} ${recipient}`;

/** The shares of one of the user's notes, oldest first. */
export async function listShares(noteId: string): Promise<Share[]> {
  const pb = api();
  const rows = await pb.collection(SHARES).getFullList({
    filter: pb.filter('note = {:note}', { note: noteId }),
    sort: 'created',
    requestKey: null,
  });
  return rows.map((row) => {
    const email = openedLabel(String(row['label'] ?? ''), noteId, String(row['recipient']));
    return { id: row.id, recipient: String(row['recipient']), email, canEdit: row['canEdit'] === true };
  });
}

/** The email sealed on a share, or null when there is none or it does not open. */
function openedLabel(label: string, noteId: string, recipient: string): string | null {
  if (!label) return null;
  try {
    return openLabel(label, vault.masterKey, where(noteId, recipient));
  } catch {
    return null;
  }
}

/**
 * Shares a note with the Hearth user who has this email and has set up notes: their public key
 * comes from GET /api/hearth/notes/recipient, the note key is wrapped for it, and the email is kept
 * sealed for the owner.
 */
export async function shareNote(noteId: string, email: string, canEdit: boolean): Promise<Share> {
  const key = notesStore.keyOf(noteId);
  if (!key) throw new Error('Unknown note.');
  const pb = api();
  let found: { id: string; boxPublicKey: string; verified: boolean };
  try {
    found = await pb.send('/api/hearth/notes/recipient', { query: { email }, requestKey: null });
  } catch (err) {
    if (err instanceof ClientResponseError && err.status === 404) throw new ShareRefused('unknown');
    throw err;
  }
  if (found.id === vault.userId) throw new ShareRefused('self');
  try {
    const row = await pb.collection(SHARES).create(
      {
        note: noteId,
        recipient: found.id,
        keyWrap: wrapNoteKeyFor(key, fromBase64Url(found.boxPublicKey)),
        recipientKey: found.boxPublicKey,
        canEdit,
        label: sealLabel(email, vault.masterKey, where(noteId, found.id)),
      },
      { requestKey: null },
    );
    return { id: row.id, recipient: found.id, email, canEdit, verified: found.verified === true };
  } catch (err) {
    // The unique (note, recipient) index: already shared with them.
    if (err instanceof ClientResponseError && err.status === 400 && err.response?.['data']?.['recipient'])
      throw new ShareRefused('already');
    throw err;
  }
}

export async function setCanEdit(shareId: string, canEdit: boolean): Promise<void> {
  await api().collection(SHARES).update(shareId, { canEdit }, { requestKey: null });
}

/**
 * Revokes a share and re-keys the note at once: the next version is sealed under a new note key,
 * and the remaining shares get that key wrapped for their stored public keys. Whatever the revoked
 * user kept opens nothing they fetch from now on. A save that meets a newer version is retried on
 * the newer one (the owner's text is not lost: the body re-sealed is the one just read).
 */
export async function revokeShare(noteId: string, shareId: string): Promise<void> {
  const pb = api();
  await pb.collection(SHARES).delete(shareId, { requestKey: null });
  for (let attempt = 0; ; attempt++) {
    const note = notesStore.notes.find((n) => n.id === noteId);
    if (!note) return; // deleted meanwhile: nothing left to protect
    try {
      await notesStore.save(noteId, note, { rekey: true });
      break;
    } catch (err) {
      if (!(err instanceof NoteConflict) || attempt >= 2) throw err;
      await notesStore.refresh(noteId);
    }
  }
  const key = notesStore.keyOf(noteId)!;
  const remaining = await pb.collection(SHARES).getFullList({
    filter: pb.filter('note = {:note}', { note: noteId }),
    fields: 'id,recipientKey',
    requestKey: null,
  });
  await Promise.all(
    remaining.map((share) =>
      share['recipientKey']
        ? pb
            .collection(SHARES)
            .update(
              share.id,
              { keyWrap: wrapNoteKeyFor(key, fromBase64Url(String(share['recipientKey']))) },
              { requestKey: null },
            )
        : // A share made before public keys were kept cannot follow the new key: it goes too.
          pb.collection(SHARES).delete(share.id, { requestKey: null }),
    ),
  );
}
