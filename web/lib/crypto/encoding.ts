import { CryptoError } from './errors';

// RFC 4648 §5 (base64url), without padding.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const ascii = new TextDecoder();

/** Base64url (RFC 4648 §5) without padding. Linear in the input: fine for megabytes. */
export function toBase64Url(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil((bytes.length * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[n >> 18]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    out[o++] = ENCODE[(n >> 6) & 63]!;
    out[o++] = ENCODE[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ENCODE[n >> 18]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    if (rest === 2) out[o] = ENCODE[(n >> 6) & 63]!;
  }
  return ascii.decode(out);
}

function sextet(text: string, at: number): number {
  const code = text.charCodeAt(at);
  const value = code < 128 ? DECODE[code]! : -1;
  if (value < 0) throw new CryptoError('malformed', `Not base64url: character ${at + 1} is invalid.`);
  return value;
}

/**
 * Strict base64url: only the URL-safe alphabet, no padding, no whitespace, and the unused bits of
 * the last character must be zero, so every byte string has exactly one accepted text.
 */
export function fromBase64Url(text: string): Uint8Array {
  const tail = text.length % 4;
  if (tail === 1) throw new CryptoError('malformed', 'Not base64url: impossible length.');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 3 < text.length; i += 4) {
    const n =
      (sextet(text, i) << 18) |
      (sextet(text, i + 1) << 12) |
      (sextet(text, i + 2) << 6) |
      sextet(text, i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (tail > 0) {
    const n =
      (sextet(text, i) << 18) | (sextet(text, i + 1) << 12) | (tail === 3 ? sextet(text, i + 2) << 6 : 0);
    const unused = tail === 2 ? n & 0xffff : n & 0xff;
    if (unused !== 0) throw new CryptoError('malformed', 'Not base64url: non-canonical last character.');
    out[o++] = n >> 16;
    if (tail === 3) out[o] = (n >> 8) & 255;
  }
  return out;
}

const HEX_DIGITS = '0123456789abcdef';

/** Lower-case hex, no prefix. */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = HEX_DIGITS.charCodeAt(bytes[i]! >> 4);
    out[2 * i + 1] = HEX_DIGITS.charCodeAt(bytes[i]! & 15);
  }
  return ascii.decode(out);
}

function nibble(text: string, at: number): number {
  const code = text.charCodeAt(at);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20; // A–F to a–f
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  throw new CryptoError('malformed', `Not hex: character ${at + 1} is invalid.`);
}

/** Strict hex (either case, no `0x`, even length). */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new CryptoError('malformed', 'Not hex: odd length.');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(text, 2 * i) << 4) | nibble(text, 2 * i + 1);
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** UTF-8 to text; invalid UTF-8 is refused rather than replaced by U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (err) {
    throw new CryptoError('malformed', 'Not UTF-8.', { cause: err });
  }
}

/** The parts one after another, in one allocation. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
