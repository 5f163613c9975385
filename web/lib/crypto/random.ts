/**
 * The one source of randomness of this module: `length` fresh bytes. Every function that needs
 * randomness takes one (defaulting to the system's), so tests can pin nonces and keys.
 */
export type RandomSource = (length: number) => Uint8Array;

/** getRandomValues fills at most 65 536 bytes per call (Web Crypto's quota). */
const QUOTA = 65_536;

/** The platform CSPRNG (Web Crypto, in browsers and Node 20). */
export const systemRandom: RandomSource = (length) => {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += QUOTA) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + QUOTA, length)));
  }
  return bytes;
};
