import { scryptAsync } from '@noble/hashes/scrypt';
import { fromBase64Url, toBase64Url, utf8Encode } from './encoding';
import { KEY_LENGTH, randomBytes } from './envelope';
import { CryptoError } from './errors';
import { systemRandom, type RandomSource } from './random';

/** scrypt's cost (RFC 7914): N = 2^logN, block size r, parallelism p. */
export interface ScryptCost {
  logN: number;
  r: number;
  p: number;
}

/**
 * How a passphrase becomes a key-encryption key; stored in the clear beside the master key it
 * wraps, as this JSON object: `{"kdf":"scrypt","logN":17,"r":8,"p":1,"salt":"<base64url>"}`.
 */
export interface PassphraseParams extends ScryptCost {
  kdf: 'scrypt';
  /** base64url of 16 to 64 random bytes (16 when made here). */
  salt: string;
}

/** N = 2^17, r = 8, p = 1: 128 MiB, 0.7 s in Node on the development machine. */
export const DEFAULT_SCRYPT_COST: Readonly<ScryptCost> = Object.freeze({ logN: 17, r: 8, p: 1 });

const SALT_LENGTH = 16;
// The floor refuses nonsense, it does not define strength: new parameters always get the default.
// The ceilings keep a server from making a browser allocate or spin without end.
const LOG_N = { min: 10, max: 20 };
const R = { min: 1, max: 32 };
const P = { min: 1, max: 16 };
const MAX_MEMORY = 2 ** 28; // 128 · r · N bytes
const MAX_WORK = 2 ** 22; // N · r · p

function integerIn(value: unknown, range: { min: number; max: number }, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new CryptoError(
      'invalid-params',
      `Passphrase parameter ${name} must be ${range.min}–${range.max}.`,
    );
  }
  return value;
}

/**
 * Reads stored passphrase parameters (the object, or its JSON text), refusing missing, unknown or
 * out-of-range values with `CryptoError('invalid-params')`. Extra fields are dropped.
 */
export function parsePassphraseParams(value: unknown): PassphraseParams {
  let object = value;
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value);
    } catch (err) {
      throw new CryptoError('invalid-params', 'Passphrase parameters are not JSON.', { cause: err });
    }
  }
  if (typeof object !== 'object' || object === null) {
    throw new CryptoError('invalid-params', 'Passphrase parameters are missing.');
  }
  const fields = object as Record<string, unknown>;
  if (fields['kdf'] !== 'scrypt') throw new CryptoError('invalid-params', 'Unknown passphrase KDF.');
  const logN = integerIn(fields['logN'], LOG_N, 'logN');
  const r = integerIn(fields['r'], R, 'r');
  const p = integerIn(fields['p'], P, 'p');
  if (128 * r * 2 ** logN > MAX_MEMORY)
    throw new CryptoError('invalid-params', 'scrypt would use too much memory.');
  if (2 ** logN * r * p > MAX_WORK) throw new CryptoError('invalid-params', 'scrypt would take too long.');
  const salt = fields['salt'];
  let saltLength = 0;
  try {
    saltLength = typeof salt === 'string' ? fromBase64Url(salt).length : 0;
  } catch {
    // refused below
  }
  if (typeof salt !== 'string' || saltLength < 16 || saltLength > 64) {
    throw new CryptoError('invalid-params', 'The passphrase salt must be 16–64 bytes of base64url.');
  }
  return { kdf: 'scrypt', logN, r, p, salt };
}

/**
 * Parameters for a new passphrase: a fresh 16-byte salt and the given cost (the default unless a
 * test asks for less). Always make new ones when a passphrase is set or changed; never reuse the
 * server's, which could have been weakened.
 */
export function newPassphraseParams(
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
  random: RandomSource = systemRandom,
): PassphraseParams {
  const salt = toBase64Url(randomBytes(random, SALT_LENGTH));
  return parsePassphraseParams({ kdf: 'scrypt', logN: cost.logN, r: cost.r, p: cost.p, salt });
}

/**
 * The 32-byte key-encryption key of a passphrase: scrypt(UTF-8 of NFKC(passphrase), salt, N, r, p).
 * NFKC makes the same passphrase typed on different keyboards (composed or decomposed accents,
 * full-width forms) give the same key. Runs in slices so a page stays responsive.
 */
export async function derivePassphraseKek(
  passphrase: string,
  params: PassphraseParams,
  onProgress?: (fraction: number) => void,
): Promise<Uint8Array> {
  const { logN, r, p, salt } = parsePassphraseParams(params);
  const normalized = typeof passphrase === 'string' ? passphrase.normalize('NFKC') : '';
  if (normalized.length === 0) throw new CryptoError('invalid-input', 'The passphrase is empty.');
  return scryptAsync(utf8Encode(normalized), fromBase64Url(salt), {
    N: 2 ** logN,
    r,
    p,
    dkLen: KEY_LENGTH,
    ...(onProgress ? { onProgress } : {}),
  });
}
