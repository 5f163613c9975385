import { KEY_LENGTH, randomBytes, requireKey } from './envelope';
import { CryptoError } from './errors';
import { systemRandom, type RandomSource } from './random';

// Crockford's base32: no I, L, O or U, so what is written down reads back one way.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_LENGTH = 3;
/** 32 key bytes and a 3-byte check: 280 bits, exactly 56 characters. */
const CHARACTERS = ((KEY_LENGTH + CHECK_LENGTH) * 8) / 5;

/**
 * CRC-24 of OpenPGP (RFC 4880 §6.1). Not for secrecy but for typos: as a CRC of degree 24 it
 * catches every error confined to 24 consecutive bits, so any one wrong character (5 bits) and
 * any swap of neighbours (10 bits) is always detected, and other typos all but always.
 */
export function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * The printable form of a 32-byte recovery key: Crockford base32 of key ‖ CRC-24 (big-endian),
 * 56 characters in groups of four: `XXXX-XXXX-…` (14 groups).
 */
export function formatRecoveryKey(kek: Uint8Array): string {
  requireKey(kek, 'recovery key');
  const crc = crc24(kek);
  const bytes = Uint8Array.of(...kek, crc >> 16, (crc >> 8) & 255, crc & 255);
  let text = '';
  let bits = 0;
  let buffer = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return text.match(/.{4}/g)!.join('-');
}

function characterValue(character: string): number {
  const folded = character === 'I' || character === 'L' ? '1' : character === 'O' ? '0' : character;
  return ALPHABET.indexOf(folded);
}

/**
 * The 32-byte key-encryption key from a recovery key as the user typed it: any case, with or
 * without spaces, dashes or line breaks, and I/L read as 1, O as 0 (Crockford). A typo, a missing
 * or extra character throws `CryptoError('bad-recovery-key')`.
 */
export function parseRecoveryKey(text: string): Uint8Array {
  const compact = typeof text === 'string' ? text.replace(/[\s-]+/g, '').toUpperCase() : '';
  if (compact.length !== CHARACTERS) {
    throw new CryptoError(
      'bad-recovery-key',
      `A recovery key has ${CHARACTERS} characters, not ${compact.length}.`,
    );
  }
  const bytes = new Uint8Array(KEY_LENGTH + CHECK_LENGTH);
  let bits = 0;
  let buffer = 0;
  let at = 0;
  for (let i = 0; i < compact.length; i++) {
    const value = characterValue(compact[i]!);
    if (value < 0) {
      throw new CryptoError(
        'bad-recovery-key',
        `Character ${i + 1} (${compact[i]}) is not in a recovery key.`,
      );
    }
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (buffer >> bits) & 255;
      buffer &= (1 << bits) - 1;
    }
  }
  const kek = bytes.slice(0, KEY_LENGTH);
  const check = (bytes[KEY_LENGTH]! << 16) | (bytes[KEY_LENGTH + 1]! << 8) | bytes[KEY_LENGTH + 2]!;
  if (check !== crc24(kek)) throw new CryptoError('bad-recovery-key', 'The recovery key has a typo.');
  return kek;
}

/** A fresh recovery key: the key-encryption key and the text to print or write down. */
export function newRecoveryKey(random: RandomSource = systemRandom): { kek: Uint8Array; text: string } {
  const kek = randomBytes(random, KEY_LENGTH);
  return { kek, text: formatRecoveryKey(kek) };
}
