import { api } from '$lib/api/client';
import { fromBase64Url, newNoteKey, openAttachment, sealAttachment, toBase64Url } from '$lib/crypto';
import { newNoteId, type AttachmentRef, type Note, type NoteBody } from './notes.model';
import { NOTES, notesStore } from './notes.store.svelte';

/** The notes collection's limit for one file (api/notes/migrations), less the 42 bytes of sealing. */
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024 - 42;

/** A file too large to attach. */
export class AttachmentTooLarge extends Error {
  constructor(readonly fileName: string) {
    super(`${fileName} is larger than ${ATTACHMENT_MAX_BYTES} bytes.`);
  }
}

/**
 * Seals each file under a key of its own, bound to the note and a random id, and saves the note's
 * next version naming them, with the sealed files in the same request (`<id>.bin`, so the server
 * learns neither name nor type). Resolves to the saved note.
 */
export async function attachFiles(note: Note, body: NoteBody, files: readonly File[]): Promise<Note> {
  const tooLarge = files.find((f) => f.size > ATTACHMENT_MAX_BYTES);
  if (tooLarge) throw new AttachmentTooLarge(tooLarge.name);
  const refs: AttachmentRef[] = [];
  const upload: File[] = [];
  for (const file of files) {
    const id = newNoteId();
    const key = newNoteKey();
    const sealed = sealAttachment(
      new Uint8Array(await file.arrayBuffer()),
      { noteId: note.id, name: id },
      key,
    );
    upload.push(new File([bytesPart(sealed)], `${id}.bin`, { type: 'application/octet-stream' }));
    refs.push({ id, name: file.name, type: file.type, size: file.size, key: toBase64Url(key) });
    key.fill(0);
  }
  const attachments = [...(body.attachments ?? []), ...refs];
  return notesStore.save(note.id, { ...body, attachments }, { upload });
}

/** Saves the note without one attachment, and deletes its stored file in the same request. */
export async function removeAttachment(note: Note, body: NoteBody, ref: AttachmentRef): Promise<Note> {
  const attachments = (body.attachments ?? []).filter((a) => a.id !== ref.id);
  const file = storedFile(note.id, ref);
  return notesStore.save(note.id, { ...body, attachments }, { removeFiles: file ? [file] : [] });
}

/** The stored file of an attachment: the server keeps the uploaded `<id>.bin` as `<id>_<random>.bin`. */
function storedFile(noteId: string, ref: AttachmentRef): string | undefined {
  return notesStore.filesOf(noteId).find((f) => f.startsWith(`${ref.id}_`));
}

/**
 * Downloads an attachment (a protected file: with a file token) and opens it; a changed byte, or a
 * file moved from another note or attachment, throws CryptoError('tampered').
 */
export async function openAttachmentFile(noteId: string, ref: AttachmentRef): Promise<Blob> {
  const file = storedFile(noteId, ref);
  if (!file) throw new Error(`The file of ${ref.name} is missing.`);
  const pb = api();
  const token = await pb.files.getToken({ requestKey: null });
  const url = pb.files.getURL({ id: noteId, collectionName: NOTES }, file, { token });
  const response = await fetch(url);
  if (!response.ok) throw new Error(`The file of ${ref.name} could not be downloaded (${response.status}).`);
  const sealed = new Uint8Array(await response.arrayBuffer());
  const key = fromBase64Url(ref.key);
  try {
    const bytes = openAttachment(sealed, { noteId, name: ref.id }, key);
    // Always a download, never a type an editor of the note chose for the browser to render.
    return new Blob([bytesPart(bytes)], { type: 'application/octet-stream' });
  } finally {
    key.fill(0);
  }
}

/** The bytes as a Blob part: TypeScript's DOM types want an ArrayBuffer-backed view. */
function bytesPart(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
