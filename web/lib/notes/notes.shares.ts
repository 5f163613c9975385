import { ClientResponseError, type RecordModel } from 'pocketbase';
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
    const email = openedLabel(row, noteId)?.email ?? null;
    return { id: row.id, recipient: String(row['recipient']), email, canEdit: row['canEdit'] === true };
  });
}

/**
 * What the owner sealed on a share: the email shared with, and the recipient and public key it was
 * made for. Re-keying wraps the new key only for shares whose label says so, so a share row the
 * owner did not make (put there by the server, or moved) never receives a note key.
 */
interface Label {
  email: string;
  recipient: string;
  key: string;
}

/** The share's label, or null when there is none, it does not open, or it is not for this share. */
function openedLabel(row: RecordModel, noteId: string): Label | null {
  const recipient = String(row['recipient']);
  try {
    const label = JSON.parse(
      openLabel(String(row['label'] ?? ''), vault.masterKey, where(noteId, recipient)),
    ) as Partial<Label>;
    if (typeof label.email !== 'string' || label.recipient !== recipient) return null;
    if (typeof label.key !== 'string' || label.key !== row['recipientKey']) return null;
    return { email: label.email, recipient, key: label.key };
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
        label: sealLabel(
          JSON.stringify({ email, recipient: found.id, key: found.boxPublicKey } satisfies Label),
          vault.masterKey,
          where(noteId, found.id),
        ),
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
 * Revokes a share and re-keys the note: the next version is sealed under a new note key, the
 * remaining shares get that key wrapped for the public keys their labels vouch for (a share without
 * a valid label is removed instead), and then the revoked share goes. In that order, a failure part
 * way leaves the share listed, and revoking again finishes the work; the revoked user never gets
 * the new key. A save that meets a newer version is retried on it (the body re-sealed is the
 * note's latest).
 */
export async function revokeShare(noteId: string, shareId: string): Promise<void> {
  const pb = api();
  const shares = await pb.collection(SHARES).getFullList({
    filter: pb.filter('note = {:note}', { note: noteId }),
    requestKey: null,
  });
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
  // A copy: locking meanwhile zeroes the store's keys, and an all-zero key must not be shared.
  const key = notesStore.keyOf(noteId)?.slice();
  if (!key) throw new Error('The notes were locked.');
  try {
    await Promise.all(
      shares
        .filter((share) => share.id !== shareId)
        .map((share) => {
          const label = openedLabel(share, noteId);
          return label
            ? pb
                .collection(SHARES)
                .update(
                  share.id,
                  { keyWrap: wrapNoteKeyFor(key, fromBase64Url(label.key)) },
                  { requestKey: null },
                )
            : pb.collection(SHARES).delete(share.id, { requestKey: null });
        }),
    );
  } finally {
    key.fill(0);
  }
  await pb
    .collection(SHARES)
    .delete(shareId, { requestKey: null })
    .catch((err: unknown) => {
      if (!(err instanceof ClientResponseError && err.status === 404)) throw err; // gone already
    });
}
