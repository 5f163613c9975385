/**
 * Helpers for this module's tests, never imported by the app: a reproducible random source, so
 * sealed values can be pinned byte for byte, and a way to read the code of a thrown CryptoError.
 */
import { sha256 } from '@noble/hashes/sha256';
import { concatBytes, utf8Encode } from './encoding';
import { CryptoError } from './errors';
import type { RandomSource } from './random';

/** SHA-256(seed ‖ counter) blocks, one after another: the same seed gives the same bytes. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  let pool: Uint8Array = new Uint8Array();
  return (length) => {
    while (pool.length < length) {
      const block = sha256(concatBytes(utf8Encode(seed), Uint8Array.of(counter >> 8, counter & 255)));
      counter++;
      pool = concatBytes(pool, block);
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    return out;
  };
}

/** The code of the CryptoError `run` throws; anything else thrown is rethrown, nothing → 'none'. */
export function thrownCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof CryptoError) return err.code;
    throw err;
  }
  return 'none';
}

/** {@link thrownCode} for async functions. */
export async function rejectedCode(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (err instanceof CryptoError) return err.code;
    throw err;
  }
  return 'none';
}

/** Byte equality for large arrays (Vitest's toEqual walks them element by element, slowly). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
