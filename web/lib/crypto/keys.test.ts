import { hkdfSync } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, test } from 'vitest';
import { concatBytes, fromBase64Url, toBase64Url } from './encoding';
import { newMasterKey, unwrapKey, wrapKey, type KeyPurpose } from './keys';
import { seededRandom, thrownCode } from './testing';

const kek = Uint8Array.from({ length: 32 }, (_, i) => i);
const key = Uint8Array.from({ length: 32 }, (_, i) => 0x20 + i);
const purposes: KeyPurpose[] = ['master', 'note', 'box-secret'];

/** Flips one bit of byte `at` of a base64url value. */
function flip(wrapped: string, at: number, bit = 1): string {
  const bytes = fromBase64Url(wrapped);
  bytes[at]! ^= bit;
  return toBase64Url(bytes);
}

test('newMasterKey: 32 bytes from the random source', () => {
  expect(newMasterKey(seededRandom('m'))).toEqual(seededRandom('m')(32));
  expect(newMasterKey()).toHaveLength(32);
  expect(newMasterKey()).not.toEqual(newMasterKey());
});

describe('wrapKey / unwrapKey', () => {
  test.each(purposes)('%s: round trip, 99 characters, a fresh nonce each time', (purpose) => {
    const wrapped = wrapKey(key, kek, purpose);
    expect(wrapped).toMatch(/^[A-Za-z0-9_-]{99}$/);
    expect(unwrapKey(wrapped, kek, purpose)).toEqual(key);
    expect(wrapKey(key, kek, purpose)).not.toBe(wrapped);
  });

  // Pinned: a change to the format, the labels or the derivation breaks this on purpose.
  test('fixed vector', () => {
    const wrapped = wrapKey(key, kek, 'master', seededRandom('keys vector'));
    expect(wrapped).toBe(
      'AQH5_bqRnH0MU3knvUKPFQK_JI737AvjBz8P5jXrHgH4ME_sYDJUZUkrf4mzX2Ax-o3k6cMfsgwQ0PE8qsVccOa5nTKrcClBtgE',
    );
    expect(unwrapKey(wrapped, kek, 'master')).toEqual(key);
  });

  test('follows docs/notes-crypto.md byte for byte', () => {
    const nonce = seededRandom('doc')(24);
    const bytes = fromBase64Url(wrapKey(key, kek, 'note', seededRandom('doc')));
    expect(bytes).toHaveLength(74);
    expect([...bytes.subarray(0, 2)]).toEqual([1, 2]);
    expect(bytes.subarray(2, 26)).toEqual(nonce);
    const subkey = new Uint8Array(hkdfSync('sha256', kek, new Uint8Array(), 'hearth note key v1\0', 32));
    expect(nacl.secretbox.open(bytes.subarray(26), nonce, subkey)).toEqual(key);
  });

  test('a wrong key-encryption key fails closed', () => {
    const wrapped = wrapKey(key, kek, 'master');
    const other = kek.map((byte) => byte ^ 0x80);
    expect(thrownCode(() => unwrapKey(wrapped, other, 'master'))).toBe('wrong-key');
  });

  test.each([
    ['note', 'master'],
    ['master', 'box-secret'],
    ['box-secret', 'note'],
  ] as const)('a wrapped %s key is refused as a %s key, even with its kind byte rewritten', (made, asked) => {
    const wrapped = wrapKey(key, kek, made);
    expect(thrownCode(() => unwrapKey(wrapped, kek, asked))).toBe('malformed');
    const relabelled = fromBase64Url(wrapped);
    relabelled[1] = fromBase64Url(wrapKey(key, kek, asked))[1]!;
    expect(thrownCode(() => unwrapKey(toBase64Url(relabelled), kek, asked))).toBe('wrong-key');
  });

  test('any changed bit is refused', () => {
    const wrapped = wrapKey(key, kek, 'master');
    for (let at = 0; at < 74; at++) {
      for (const bit of [0x01, 0x80]) {
        const expected = at === 0 ? 'unsupported-version' : at === 1 ? 'malformed' : 'wrong-key';
        expect(
          thrownCode(() => unwrapKey(flip(wrapped, at, bit), kek, 'master')),
          `byte ${at}`,
        ).toBe(expected);
      }
    }
  });

  test.each([
    ['empty', ''],
    ['not base64url', '!!!'],
    ['truncated', 'AQE'],
    ['one byte short', toBase64Url(fromBase64Url(wrapKey(key, kek, 'master')).subarray(0, 73))],
    ['one byte long', toBase64Url(concatBytes(fromBase64Url(wrapKey(key, kek, 'master')), Uint8Array.of(0)))],
  ])('refuses %s', (_, wrapped) => {
    expect(thrownCode(() => unwrapKey(wrapped, kek, 'master'))).toBe('malformed');
  });

  test('a newer format version says so', () => {
    const bytes = fromBase64Url(wrapKey(key, kek, 'master'));
    bytes[0] = 2;
    expect(thrownCode(() => unwrapKey(toBase64Url(bytes), kek, 'master'))).toBe('unsupported-version');
  });

  test.each([
    ['a short key', new Uint8Array(31), kek],
    ['a long key', new Uint8Array(33), kek],
    ['a short kek', key, new Uint8Array(16)],
  ])('refuses %s', (_, k, wrapping) => {
    expect(thrownCode(() => wrapKey(k, wrapping, 'master'))).toBe('invalid-input');
  });

  test('refuses a random source that gives the wrong length', () => {
    expect(thrownCode(() => wrapKey(key, kek, 'master', () => new Uint8Array(8)))).toBe('invalid-input');
  });
});
