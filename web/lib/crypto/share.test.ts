import nacl from 'tweetnacl';
import { describe, expect, test } from 'vitest';
import { concatBytes, fromBase64Url, fromHex, toBase64Url } from './encoding';
import { newMasterKey, wrapKey } from './keys';
import { newNoteKey } from './notes';
import { newBoxKeyPair, unwrapBoxKeyPair, unwrapSharedNoteKey, wrapNoteKeyFor } from './share';
import { seededRandom, thrownCode } from './testing';

const noteKey = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const recipient = newBoxKeyPair(seededRandom('recipient'));

// X25519 points of small order: the shared secret with any of them is all zeros.
const lowOrder = [
  ['zero', new Uint8Array(32)],
  ['one', Uint8Array.of(1, ...new Uint8Array(31))],
  ['an order-8 point', fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')],
] as const;

test('newBoxKeyPair: the secret key from the random source, its public key', () => {
  expect(recipient.secretKey).toEqual(seededRandom('recipient')(32));
  expect(recipient.publicKey).toEqual(nacl.scalarMult.base(recipient.secretKey));
  expect(newBoxKeyPair().publicKey).not.toEqual(newBoxKeyPair().publicKey);
});

describe('unwrapBoxKeyPair', () => {
  const master = newMasterKey();
  const pair = newBoxKeyPair();
  const wrapped = wrapKey(pair.secretKey, master, 'box-secret');

  test('gives the pair back', () => {
    expect(unwrapBoxKeyPair(wrapped, pair.publicKey, master)).toEqual(pair);
  });

  test('refuses a public key that is not the secret key’s', () => {
    expect(thrownCode(() => unwrapBoxKeyPair(wrapped, newBoxKeyPair().publicKey, master))).toBe('wrong-key');
  });

  test('refuses a wrong master key, and a note key offered as the secret key', () => {
    expect(thrownCode(() => unwrapBoxKeyPair(wrapped, pair.publicKey, newMasterKey()))).toBe('wrong-key');
    const noteKeyWrapped = wrapKey(newNoteKey(), master, 'note');
    expect(thrownCode(() => unwrapBoxKeyPair(noteKeyWrapped, pair.publicKey, master))).toBe('malformed');
  });
});

describe('wrapNoteKeyFor / unwrapSharedNoteKey', () => {
  test('round trip; a fresh ephemeral key each time', () => {
    const wrapped = wrapNoteKeyFor(noteKey, recipient.publicKey);
    expect(wrapped).toMatch(/^[A-Za-z0-9_-]{142}$/);
    expect(unwrapSharedNoteKey(wrapped, recipient.secretKey)).toEqual(noteKey);
    const again = fromBase64Url(wrapNoteKeyFor(noteKey, recipient.publicKey));
    expect(again.subarray(2, 34)).not.toEqual(fromBase64Url(wrapped).subarray(2, 34));
  });

  // Pinned: a change to the format breaks this on purpose.
  test('fixed vector, and its layout', () => {
    const wrapped = wrapNoteKeyFor(noteKey, recipient.publicKey, seededRandom('share vector'));
    expect(wrapped).toBe(
      'AQY4hoyJwe-ZdYj-qi19epIVnBfDqkDNetvkQwKJ8Q_TGDhL3T5GOn9B42ruR0W7hSlSaUKAf6UwG_LbSCOdqSgFvQ-3yGgK3eO4VRX8AFpxFXK6jIBSTAJcZtNVt3IJ27ClbdJxrq-NPQ',
    );
    const bytes = fromBase64Url(wrapped);
    const draw = seededRandom('share vector');
    const ephemeral = nacl.box.keyPair.fromSecretKey(draw(32));
    const nonce = draw(24);
    expect([...bytes.subarray(0, 2)]).toEqual([1, 6]);
    expect(bytes.subarray(2, 34)).toEqual(ephemeral.publicKey);
    expect(bytes.subarray(34, 58)).toEqual(nonce);
    expect(nacl.box.open(bytes.subarray(58), nonce, ephemeral.publicKey, recipient.secretKey)).toEqual(
      noteKey,
    );
  });

  test('a third party cannot unwrap it', () => {
    const wrapped = wrapNoteKeyFor(noteKey, recipient.publicKey);
    const stranger = newBoxKeyPair();
    expect(thrownCode(() => unwrapSharedNoteKey(wrapped, stranger.secretKey))).toBe('wrong-key');
  });

  test('any changed bit is refused', () => {
    const wrapped = wrapNoteKeyFor(noteKey, recipient.publicKey);
    for (let at = 0; at < 106; at++) {
      for (const bit of [0x01, 0x80]) {
        const bytes = fromBase64Url(wrapped);
        bytes[at]! ^= bit;
        const expected = at === 0 ? 'unsupported-version' : at === 1 ? 'malformed' : 'wrong-key';
        expect(
          thrownCode(() => unwrapSharedNoteKey(toBase64Url(bytes), recipient.secretKey)),
          `byte ${at}`,
        ).toBe(expected);
      }
    }
  });

  test.each([
    ['empty', ''],
    ['a wrapped master key', wrapKey(noteKey, noteKey, 'master')],
    [
      'one byte short',
      toBase64Url(fromBase64Url(wrapNoteKeyFor(noteKey, recipient.publicKey)).subarray(0, 105)),
    ],
    [
      'one byte long',
      toBase64Url(concatBytes(fromBase64Url(wrapNoteKeyFor(noteKey, recipient.publicKey)), Uint8Array.of(0))),
    ],
  ])('refuses %s', (_, wrapped) => {
    expect(thrownCode(() => unwrapSharedNoteKey(wrapped, recipient.secretKey))).toBe('malformed');
  });

  test.each(lowOrder)('refuses to wrap for a low-order public key (%s)', (_, point) => {
    expect(nacl.scalarMult(recipient.secretKey, point).every((byte) => byte === 0)).toBe(true);
    expect(thrownCode(() => wrapNoteKeyFor(noteKey, point))).toBe('invalid-input');
  });

  test.each(lowOrder)('refuses a low-order ephemeral key (%s)', (_, point) => {
    const bytes = fromBase64Url(wrapNoteKeyFor(noteKey, recipient.publicKey));
    bytes.set(point, 2);
    // The box under the all-zero shared secret: what anyone could make for that point.
    const zeroKey = nacl.box.before(point, new Uint8Array(32).fill(1));
    bytes.set(nacl.secretbox(noteKey, bytes.subarray(34, 58), zeroKey), 58);
    expect(thrownCode(() => unwrapSharedNoteKey(toBase64Url(bytes), recipient.secretKey))).toBe('wrong-key');
  });

  test('refuses a non-canonical public key, which X25519 would read as another', () => {
    const topBit = recipient.publicKey.slice();
    topBit[31]! |= 0x80;
    expect(thrownCode(() => wrapNoteKeyFor(noteKey, topBit))).toBe('invalid-input');
    // p + 9 ≡ 9, the base point: the same point as 9 but not its encoding.
    const pPlus9 = Uint8Array.of(0xed + 9, ...new Uint8Array(30).fill(0xff), 0x7f);
    expect(nacl.scalarMult(recipient.secretKey, pPlus9)).toEqual(
      nacl.scalarMult(recipient.secretKey, Uint8Array.of(9, ...new Uint8Array(31))),
    );
    expect(thrownCode(() => wrapNoteKeyFor(noteKey, pPlus9))).toBe('invalid-input');
  });

  test.each([
    ['a short note key', new Uint8Array(16), recipient.publicKey],
    ['a short public key', noteKey, new Uint8Array(31)],
  ])('refuses %s', (_, key, publicKey) => {
    expect(thrownCode(() => wrapNoteKeyFor(key, publicKey))).toBe('invalid-input');
  });
});
