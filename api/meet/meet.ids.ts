import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 36 below 256: bytes at or above it are drawn again, so no letter is likelier. */
const UNBIASED = 252;

/**
 * A room name: 12 characters of [a-z0-9] from the system CSPRNG (about 62 bits) grouped as
 * `abcd-efgh-ijkl`, easy to read out over the phone and not worth guessing at the rate limit.
 */
export function newRoomName(): string {
  let out = '';
  while (out.length < 12) {
    for (const byte of randomBytes(16)) {
      if (byte < UNBIASED && out.length < 12) out += ALPHABET[byte % 36];
    }
  }
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8)}`;
}

/** A peer, guest or chat id: public, only needs to be unique (72 bits, base64url). */
export function newId(): string {
  return randomBytes(9).toString('base64url');
}

/** A bearer secret (host key, resume secret): 256 bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the server keeps of a secret: its SHA-256, so memory never holds the secret itself. */
export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares a presented secret with a kept digest in constant time (the digests have one length). */
export function matchesDigest(secret: string, kept: Buffer): boolean {
  return timingSafeEqual(digest(secret), kept);
}
