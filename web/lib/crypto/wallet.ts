import { hkdf } from '@noble/hashes/hkdf';
import { sha256 } from '@noble/hashes/sha256';
import { toChecksumAddress } from '../wallet/eip55';
import { fromBase64Url, fromHex, toBase64Url, toHex } from './encoding';
import { KEY_LENGTH, randomBytes } from './envelope';
import { CryptoError } from './errors';
import { systemRandom, type RandomSource } from './random';

/** What the wallet message names. */
export interface WalletKeyMessageFields {
  /** The host the app runs on (`location.host`), shown to the user by the wallet. */
  domain: string;
  /** The account that signs, any case; the message shows its EIP-55 form. */
  address: string;
  /** The user's wallet salt from {@link newWalletSalt}, stored on the server. */
  salt: string;
}

const WALLET_KEK_INFO = 'hearth notes kek v1';
const SALT_LENGTH = 32;
// secp256k1's group order: r and s of a valid signature lie in [1, n-1].
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** A fresh wallet salt: base64url of 32 random bytes, made at setup and stored on the server. */
export function newWalletSalt(random: RandomSource = systemRandom): string {
  return toBase64Url(randomBytes(random, SALT_LENGTH));
}

function saltBytes(salt: string): Uint8Array {
  let bytes: Uint8Array = new Uint8Array();
  try {
    bytes = typeof salt === 'string' ? fromBase64Url(salt) : bytes;
  } catch {
    // refused below
  }
  if (bytes.length < 16 || bytes.length > 64) {
    throw new CryptoError('invalid-input', 'A wallet salt is 16–64 bytes of base64url.');
  }
  return bytes;
}

/**
 * The fixed text the wallet signs with personal_sign (EIP-191) to unlock the notes key. Every field
 * is in it so the user can see what they sign; the same fields always give the same text, byte for
 * byte, since the signature of this text is the secret. It is deliberately not an EIP-4361 (SIWE)
 * message, so it can never double as a sign-in, nor a sign-in as this. docs/notes-crypto.md says
 * why it must never be signed for another site.
 */
export function walletKeyMessage(fields: WalletKeyMessageFields): string {
  const domain = typeof fields.domain === 'string' ? fields.domain.toLowerCase() : '';
  if (!HOST.test(domain)) throw new CryptoError('invalid-input', `Not a host: ${String(fields.domain)}`);
  let address: string;
  try {
    address = toChecksumAddress(fields.address);
  } catch (err) {
    throw new CryptoError('invalid-input', `Not an Ethereum address: ${fields.address}`, { cause: err });
  }
  saltBytes(fields.salt);
  return [
    'Hearth notes encryption key',
    '',
    `Domain: ${domain}`,
    `Address: ${address}`,
    'Purpose: unlock your Hearth notes encryption key',
    `Salt: ${fields.salt}`,
    '',
    `Sign this only in Hearth on ${domain}. Never sign it for another site: this signature is the key to your encrypted notes.`,
  ].join('\n');
}

/**
 * The 64 bytes a signature contributes: r ‖ s, with s in its low form (EIP-2). v carries no secret
 * and wallets disagree on 0/1 versus 27/28, so it is checked, not used; likewise a high-s signature
 * is the same signature to the chain and must give the same key.
 */
function signatureSecret(signature: string): Uint8Array {
  const hex = typeof signature === 'string' ? signature.replace(/^0x/i, '') : '';
  let bytes: Uint8Array;
  try {
    bytes = fromHex(hex);
  } catch (err) {
    throw new CryptoError('invalid-signature', 'A signature is hex.', { cause: err });
  }
  if (bytes.length !== 65) throw new CryptoError('invalid-signature', 'A signature is 65 bytes (r, s, v).');
  const v = bytes[64]!;
  if (![0, 1, 27, 28].includes(v)) throw new CryptoError('invalid-signature', `Unexpected v = ${v}.`);
  const r = BigInt(`0x${toHex(bytes.subarray(0, 32))}`);
  let s = BigInt(`0x${toHex(bytes.subarray(32, 64))}`);
  // Zeros would come from a broken wallet and give every user the same key.
  if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) {
    throw new CryptoError('invalid-signature', 'r or s is out of range.');
  }
  if (s > SECP256K1_N / 2n) s = SECP256K1_N - s;
  const out = new Uint8Array(64);
  out.set(bytes.subarray(0, 32));
  out.set(fromHex(s.toString(16).padStart(64, '0')), 32);
  return out;
}

/**
 * The 32-byte key-encryption key of a wallet: HKDF-SHA256(ikm = r ‖ low s of the signature of
 * {@link walletKeyMessage}, salt = the wallet salt's bytes, info = "hearth notes kek v1").
 */
export function deriveWalletKek(signature: string, salt: string): Uint8Array {
  return hkdf(sha256, signatureSecret(signature), saltBytes(salt), WALLET_KEK_INFO, KEY_LENGTH);
}

/**
 * At setup the wallet signs the message twice: only a wallet that signs deterministically (RFC 6979,
 * as MetaMask and hardware wallets do) gives the same key next time. Different signatures throw
 * `CryptoError('non-deterministic-wallet')`: that user must use a passphrase instead.
 */
export function checkDeterministicSignatures(first: string, second: string): void {
  const a = signatureSecret(first);
  const b = signatureSecret(second);
  if (a.some((byte, i) => byte !== b[i])) {
    throw new CryptoError(
      'non-deterministic-wallet',
      'The wallet signed the same message differently twice.',
    );
  }
}
