import { expect, test } from 'vitest';
import { systemRandom } from './random';
import { seededRandom } from './testing';

test('systemRandom gives the asked length, past Web Crypto’s 64 KiB quota too', () => {
  for (const length of [0, 1, 32, 65_536, 65_537, 200_000]) {
    expect(systemRandom(length)).toHaveLength(length);
  }
  const big = systemRandom(200_000);
  // Every 64 KiB slice was filled, not only the first.
  expect(big.subarray(150_000, 150_032).some((byte) => byte !== 0)).toBe(true);
  expect(systemRandom(32)).not.toEqual(systemRandom(32));
});

test('seededRandom repeats for a seed and differs between seeds', () => {
  const a = seededRandom('x');
  const b = seededRandom('x');
  expect([a(10), a(40), a(3)]).toEqual([b(10), b(40), b(3)]);
  expect(seededRandom('x')(53)).toEqual(seededRandom('x')(53));
  expect(seededRandom('y')(32)).not.toEqual(seededRandom('x')(32));
});
