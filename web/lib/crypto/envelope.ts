/**
 * The layout every secretbox value of this module shares, and the subkeys that bind it to what it
 * is. Internal: the public functions in keys.ts and notes.ts are built on it. docs/notes-crypto.md
 * describes each byte.
 *
 *   version (1) ‖ kind (1) ‖ nonce (24) ‖ XSalsa20-Poly1305 secretbox: tag (16) ‖ ciphertext
 *
 * The box is never made with the caller's key itself but with HKDF-SHA256(key, info = context),
 * where the context names the kind and, for notes, the note id and version. A value moved to
 * another kind, note or version is therefore opened with another subkey and fails to authenticate:
 * the binding is enforced by the cipher, not by a comparison someone could forget.
 */
import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha256';
import nacl from 'tweetnacl';
import { concatBytes, utf8Encode } from './encoding';
import { CryptoError } from './errors';
import type { RandomSource } from './random';

export const FORMAT_VERSION = 1;
export const KEY_LENGTH = 32;
export const NONCE_LENGTH = nacl.secretbox.nonceLength; // 24
export const TAG_LENGTH = nacl.secretbox.overheadLength; // 16
export const HEADER_LENGTH = 2;

/** The second byte of every value: what it is. Numbers are part of the format; never reuse one. */
export const Kind = {
  masterKey: 1,
  noteKey: 2,
  boxSecretKey: 3,
  note: 4,
  attachment: 5,
  sharedNoteKey: 6,
  label: 7,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** `n` bytes from the source, refusing a source that gives another length. */
export function randomBytes(random: RandomSource, n: number): Uint8Array {
  const bytes = random(n);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new CryptoError('invalid-input', `The random source gave ${bytes.length} bytes, not ${n}.`);
  }
  return bytes;
}

/** Refuses anything but a 32-byte key, so a caller's mix-up never reaches the cipher. */
export function requireKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new CryptoError('invalid-input', `The ${what} must be ${KEY_LENGTH} bytes.`);
  }
}

/**
 * HKDF info: the ASCII label, a zero byte, then each field as one length byte and its bytes. The
 * lengths make the encoding injective: no two (label, fields) lists give the same bytes.
 */
export function context(label: string, ...fields: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [utf8Encode(label), Uint8Array.of(0)];
  for (const field of fields) {
    if (field.length > 255) throw new CryptoError('invalid-input', 'A bound field is over 255 bytes.');
    parts.push(Uint8Array.of(field.length), field);
  }
  return concatBytes(...parts);
}

/** RFC 5869 HKDF-SHA256 with an empty salt: the keys it is given are already uniformly random. */
export function deriveSubkey(key: Uint8Array, info: Uint8Array): Uint8Array {
  return hkdf(sha256, key, undefined, info, KEY_LENGTH);
}

/** version ‖ kind ‖ nonce ‖ secretbox(plaintext), with a fresh random nonce. */
export function sealEnvelope(
  kind: Kind,
  subkey: Uint8Array,
  plaintext: Uint8Array,
  random: RandomSource,
): Uint8Array {
  const nonce = randomBytes(random, NONCE_LENGTH);
  const box = nacl.secretbox(plaintext, nonce, subkey);
  const out = new Uint8Array(HEADER_LENGTH + NONCE_LENGTH + box.length);
  out[0] = FORMAT_VERSION;
  out[1] = kind;
  out.set(nonce, HEADER_LENGTH);
  out.set(box, HEADER_LENGTH + NONCE_LENGTH);
  return out;
}

/**
 * Checks the version and kind bytes: a newer version is reported as such (the app may need an
 * update), any other mismatch as malformed. `what` names the expected value in the message.
 */
export function checkHeader(bytes: Uint8Array, kind: Kind, what: string): void {
  if (bytes.length < HEADER_LENGTH) throw new CryptoError('malformed', `Not a ${what}: too short.`);
  if (bytes[0] !== FORMAT_VERSION) {
    throw new CryptoError('unsupported-version', `A ${what} of format version ${bytes[0]} is not supported.`);
  }
  if (bytes[1] !== kind) throw new CryptoError('malformed', `Not a ${what} (kind ${bytes[1]}).`);
}

/** The plaintext of a sealed envelope, or null when it does not authenticate under the subkey. */
export function openEnvelope(
  sealed: Uint8Array,
  kind: Kind,
  subkey: Uint8Array,
  what: string,
): Uint8Array | null {
  checkHeader(sealed, kind, what);
  if (sealed.length < HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH) {
    throw new CryptoError('malformed', `Not a ${what}: too short.`);
  }
  const nonce = sealed.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH);
  return nacl.secretbox.open(sealed.subarray(HEADER_LENGTH + NONCE_LENGTH), nonce, subkey);
}
