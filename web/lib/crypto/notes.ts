import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from './encoding';
import {
  context,
  deriveSubkey,
  Kind,
  KEY_LENGTH,
  openEnvelope,
  randomBytes,
  requireKey,
  sealEnvelope,
} from './envelope';
import { CryptoError } from './errors';
import { systemRandom, type RandomSource } from './random';

/** Which note, and which save of it, a ciphertext belongs to. */
export interface NoteBinding {
  /** The note record's id (1–255 bytes of UTF-8). */
  noteId: string;
  /** The save counter, a safe integer ≥ 0; each save seals under the next version. */
  version: number;
}

/** Which note and which of its attachments a sealed file belongs to. */
export interface AttachmentBinding {
  noteId: string;
  /** The attachment's name within the note (1–255 bytes of UTF-8); unique per content. */
  name: string;
}

/** What a note holds ({title, text, tags, …}); the app defines the fields, sealed as JSON. */
export type NoteContent = { [field: string]: unknown };

const NOTE_LABEL = 'hearth note v1';
const ATTACHMENT_LABEL = 'hearth attachment v1';

function boundText(value: string, what: string): Uint8Array {
  const bytes = typeof value === 'string' ? utf8Encode(value) : new Uint8Array();
  if (bytes.length < 1 || bytes.length > 255) {
    throw new CryptoError('invalid-input', `The ${what} must be 1 to 255 bytes of UTF-8.`);
  }
  return bytes;
}

/** The version as 8 bytes, big-endian. */
function boundVersion(version: number): Uint8Array {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new CryptoError('invalid-input', 'A note version is a safe integer ≥ 0.');
  }
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(version / 2 ** 32));
  view.setUint32(4, version >>> 0);
  return out;
}

/** HKDF-SHA256(noteKey, info = "hearth note v1" ‖ 0x00 ‖ len ‖ noteId ‖ 0x08 ‖ version). */
function noteSubkey(noteKey: Uint8Array, binding: NoteBinding): Uint8Array {
  requireKey(noteKey, 'note key');
  const info = context(NOTE_LABEL, boundText(binding.noteId, 'note id'), boundVersion(binding.version));
  return deriveSubkey(noteKey, info);
}

/** HKDF-SHA256(noteKey, info = "hearth attachment v1" ‖ 0x00 ‖ len ‖ noteId ‖ len ‖ name). */
function attachmentSubkey(noteKey: Uint8Array, binding: AttachmentBinding): Uint8Array {
  requireKey(noteKey, 'note key');
  const info = context(
    ATTACHMENT_LABEL,
    boundText(binding.noteId, 'note id'),
    boundText(binding.name, 'attachment name'),
  );
  return deriveSubkey(noteKey, info);
}

/** A fresh random 32-byte key for one note; store it wrapped: `wrapKey(noteKey, masterKey, 'note')`. */
export function newNoteKey(random: RandomSource = systemRandom): Uint8Array {
  return randomBytes(random, KEY_LENGTH);
}

/**
 * Seals a note's content for one note id and version: base64url of
 * `0x01 ‖ 0x04 ‖ nonce (24) ‖ secretbox(UTF-8 JSON of content)` under a subkey of the note key
 * bound to the id and version. Linear in the size of the content.
 */
export function sealNote(
  note: NoteBinding & { content: NoteContent },
  noteKey: Uint8Array,
  random: RandomSource = systemRandom,
): string {
  const { content } = note;
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new CryptoError('invalid-input', 'Note content is a JSON object.');
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(content);
  } catch (err) {
    throw new CryptoError('invalid-input', 'Note content is not serializable as JSON.', { cause: err });
  }
  // A toJSON() may still turn the object into nothing.
  if (typeof json !== 'string') throw new CryptoError('invalid-input', 'Note content serializes to nothing.');
  const subkey = noteSubkey(noteKey, note);
  return toBase64Url(sealEnvelope(Kind.note, subkey, utf8Encode(json), random));
}

/**
 * The content of a note sealed by {@link sealNote}, if it was sealed with this key for exactly this
 * note id and version. A changed byte, a ciphertext from another note, another version (a
 * rollback) or a wrong key all throw `CryptoError('tampered')`.
 */
export function openNote(ciphertext: string, binding: NoteBinding, noteKey: Uint8Array): NoteContent {
  const subkey = noteSubkey(noteKey, binding);
  const plaintext = openEnvelope(fromBase64Url(ciphertext), Kind.note, subkey, 'sealed note');
  if (!plaintext) {
    throw new CryptoError('tampered', 'The note was changed, or belongs to another note or version.');
  }
  // Authentic bytes were made by sealNote, so this only fails if a future writer broke the format.
  let content: unknown;
  try {
    content = JSON.parse(utf8Decode(plaintext));
  } catch (err) {
    throw new CryptoError('malformed', 'The sealed note does not hold JSON.', { cause: err });
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new CryptoError('malformed', 'The sealed note does not hold a JSON object.');
  }
  return content as NoteContent;
}

/**
 * Seals an attachment's bytes for one note and attachment name: `0x01 ‖ 0x05 ‖ nonce (24) ‖
 * secretbox(bytes)`, as bytes (uploaded as a file, so not base64).
 */
export function sealAttachment(
  bytes: Uint8Array,
  binding: AttachmentBinding,
  noteKey: Uint8Array,
  random: RandomSource = systemRandom,
): Uint8Array {
  return sealEnvelope(Kind.attachment, attachmentSubkey(noteKey, binding), bytes, random);
}

/** The bytes sealed by {@link sealAttachment}; throws `CryptoError('tampered')` like openNote. */
export function openAttachment(
  sealed: Uint8Array,
  binding: AttachmentBinding,
  noteKey: Uint8Array,
): Uint8Array {
  const plaintext = openEnvelope(
    sealed,
    Kind.attachment,
    attachmentSubkey(noteKey, binding),
    'sealed attachment',
  );
  if (!plaintext) {
    throw new CryptoError('tampered', 'The attachment was changed, or belongs to another note or name.');
  }
  return plaintext;
}
