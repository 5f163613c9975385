import { fromBase64Url, toBase64Url } from './encoding';
import {
  checkHeader,
  context,
  deriveSubkey,
  HEADER_LENGTH,
  Kind,
  KEY_LENGTH,
  NONCE_LENGTH,
  openEnvelope,
  randomBytes,
  requireKey,
  sealEnvelope,
  TAG_LENGTH,
} from './envelope';
import { CryptoError } from './errors';
import { systemRandom, type RandomSource } from './random';

/**
 * What a wrapped key is for. Each purpose wraps under its own subkey of the wrapping key, so a
 * wrapped note key offered as the box secret key (or the master key) does not open.
 *  - `master`: the user's master key, under a key-encryption key (passphrase, wallet, recovery key);
 *  - `note`: a note's key, under the master key;
 *  - `box-secret`: the secret half of the user's sharing key pair, under the master key.
 */
export type KeyPurpose = 'master' | 'note' | 'box-secret';

const PURPOSES: Record<KeyPurpose, { kind: Kind; label: string; what: string }> = {
  master: { kind: Kind.masterKey, label: 'hearth master key v1', what: 'wrapped master key' },
  note: { kind: Kind.noteKey, label: 'hearth note key v1', what: 'wrapped note key' },
  'box-secret': {
    kind: Kind.boxSecretKey,
    label: 'hearth box secret key v1',
    what: 'wrapped box secret key',
  },
};

/** A wrapped 32-byte key is always this long: header, nonce, tag, key. */
const WRAPPED_LENGTH = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH + KEY_LENGTH;

/** A fresh random 32-byte key: the user's master key, made once in the browser on first use. */
export function newMasterKey(random: RandomSource = systemRandom): Uint8Array {
  return randomBytes(random, KEY_LENGTH);
}

/**
 * Wraps a 32-byte key under a 32-byte key-encryption key: base64url of
 * `0x01 ‖ kind ‖ nonce (24) ‖ secretbox(key)` (74 bytes, 99 characters), self-describing and
 * versioned. The secretbox key is HKDF-SHA256(kek, info = "hearth <purpose> key v1" ‖ 0x00).
 */
export function wrapKey(
  key: Uint8Array,
  kek: Uint8Array,
  purpose: KeyPurpose,
  random: RandomSource = systemRandom,
): string {
  requireKey(key, 'key to wrap');
  requireKey(kek, 'key-encryption key');
  const { kind, label } = PURPOSES[purpose];
  return toBase64Url(sealEnvelope(kind, deriveSubkey(kek, context(label)), key, random));
}

/**
 * The key inside a value made by {@link wrapKey} with the same purpose. Fails closed: a wrong
 * key-encryption key or any changed byte throws `CryptoError('wrong-key')`, never other bytes.
 */
export function unwrapKey(wrapped: string, kek: Uint8Array, purpose: KeyPurpose): Uint8Array {
  requireKey(kek, 'key-encryption key');
  const { kind, label, what } = PURPOSES[purpose];
  const bytes = fromBase64Url(wrapped);
  checkHeader(bytes, kind, what);
  if (bytes.length !== WRAPPED_LENGTH) throw new CryptoError('malformed', `Not a ${what}: wrong length.`);
  const key = openEnvelope(bytes, kind, deriveSubkey(kek, context(label)), what);
  if (!key) throw new CryptoError('wrong-key', `The ${what} does not open with this key.`);
  return key;
}
