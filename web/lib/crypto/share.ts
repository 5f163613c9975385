import nacl from 'tweetnacl';
import { fromBase64Url, toBase64Url } from './encoding';
import {
  checkHeader,
  FORMAT_VERSION,
  Kind,
  KEY_LENGTH,
  randomBytes,
  requireKey,
  TAG_LENGTH,
} from './envelope';
import { CryptoError } from './errors';
import { unwrapKey } from './keys';
import { systemRandom, type RandomSource } from './random';

/** A Curve25519 key pair for nacl box: the public key is stored in the clear, the secret wrapped. */
export interface BoxKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

const BOX_NONCE_LENGTH = nacl.box.nonceLength; // 24
const EPHEMERAL_AT = 2;
const NONCE_AT = EPHEMERAL_AT + KEY_LENGTH;
const BOX_AT = NONCE_AT + BOX_NONCE_LENGTH;
/** version ‖ kind ‖ ephemeral public key ‖ nonce ‖ box(note key): 106 bytes. */
const SHARED_LENGTH = BOX_AT + TAG_LENGTH + KEY_LENGTH;

/**
 * A low-order public key makes the X25519 shared secret all zeros, a key anyone knows; refuse it
 * as libsodium does rather than wrap a note key under it.
 */
function hasSafeSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): boolean {
  return nacl.scalarMult(secretKey, publicKey).some((byte) => byte !== 0);
}

/**
 * Whether a public key is the one encoding X25519 itself produces: top bit clear and below
 * p = 2^255 − 19. X25519 ignores the top bit and reduces mod p, so without this check one wrapped
 * value would have other encodings that open all the same.
 */
function isCanonical(publicKey: Uint8Array): boolean {
  if (publicKey[31]! & 0x80) return false;
  if (publicKey[31] !== 0x7f || publicKey[0]! < 0xed) return true;
  return publicKey.subarray(1, 31).some((byte) => byte !== 0xff);
}

/** A fresh box key pair for sharing; store the secret as `wrapKey(secretKey, masterKey, 'box-secret')`. */
export function newBoxKeyPair(random: RandomSource = systemRandom): BoxKeyPair {
  return nacl.box.keyPair.fromSecretKey(randomBytes(random, KEY_LENGTH));
}

/**
 * The user's box key pair from its wrapped secret key and stored public key. The public key must be
 * the one the secret key makes, else `CryptoError('wrong-key')`: a server that swapped either is
 * caught before anything is shared or opened with them.
 */
export function unwrapBoxKeyPair(
  wrappedSecretKey: string,
  publicKey: Uint8Array,
  masterKey: Uint8Array,
): BoxKeyPair {
  requireKey(publicKey, 'public key');
  const pair = nacl.box.keyPair.fromSecretKey(unwrapKey(wrappedSecretKey, masterKey, 'box-secret'));
  if (!nacl.verify(pair.publicKey, publicKey)) {
    throw new CryptoError('wrong-key', 'The stored public key does not belong to the secret key.');
  }
  return pair;
}

/**
 * Wraps a note key for another user's public key, sealed-box style: an ephemeral key pair made
 * for this one value boxes the key (X25519 + XSalsa20-Poly1305) and its public half travels with
 * it, so only the recipient's secret key opens it. Base64url of
 * `0x01 ‖ 0x06 ‖ ephemeral public key (32) ‖ nonce (24) ‖ box (48)`. Like a sealed box it does not
 * say who made it.
 */
export function wrapNoteKeyFor(
  noteKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  random: RandomSource = systemRandom,
): string {
  requireKey(noteKey, 'note key');
  requireKey(recipientPublicKey, 'public key');
  const ephemeral = nacl.box.keyPair.fromSecretKey(randomBytes(random, KEY_LENGTH));
  if (!isCanonical(recipientPublicKey) || !hasSafeSharedSecret(ephemeral.secretKey, recipientPublicKey)) {
    throw new CryptoError('invalid-input', 'Not a usable public key.');
  }
  const nonce = randomBytes(random, BOX_NONCE_LENGTH);
  const box = nacl.box(noteKey, nonce, recipientPublicKey, ephemeral.secretKey);
  const out = new Uint8Array(SHARED_LENGTH);
  out[0] = FORMAT_VERSION;
  out[1] = Kind.sharedNoteKey;
  out.set(ephemeral.publicKey, EPHEMERAL_AT);
  out.set(nonce, NONCE_AT);
  out.set(box, BOX_AT);
  return toBase64Url(out);
}

/**
 * The note key inside a value from {@link wrapNoteKeyFor}, with the recipient's secret key. Anyone
 * else's key, or any changed byte, throws `CryptoError('wrong-key')`.
 */
export function unwrapSharedNoteKey(wrapped: string, mySecretKey: Uint8Array): Uint8Array {
  requireKey(mySecretKey, 'secret key');
  const bytes = fromBase64Url(wrapped);
  checkHeader(bytes, Kind.sharedNoteKey, 'shared note key');
  if (bytes.length !== SHARED_LENGTH)
    throw new CryptoError('malformed', 'Not a shared note key: wrong length.');
  const ephemeralPublicKey = bytes.subarray(EPHEMERAL_AT, NONCE_AT);
  const usable = isCanonical(ephemeralPublicKey) && hasSafeSharedSecret(mySecretKey, ephemeralPublicKey);
  const key = usable
    ? nacl.box.open(bytes.subarray(BOX_AT), bytes.subarray(NONCE_AT, BOX_AT), ephemeralPublicKey, mySecretKey)
    : null;
  if (!key) throw new CryptoError('wrong-key', 'The shared note key does not open with this key.');
  return key;
}
