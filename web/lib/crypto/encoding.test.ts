import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { concatBytes, fromBase64Url, fromHex, toBase64Url, toHex, utf8Decode, utf8Encode } from './encoding';
import { sameBytes, thrownCode } from './testing';

describe('base64url', () => {
  test('agrees with Node for any bytes, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
  });

  test.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 vector %j → %j', (plain, encoded) => {
    expect(toBase64Url(utf8Encode(plain))).toBe(encoded);
    expect(utf8Decode(fromBase64Url(encoded))).toBe(plain);
  });

  test('uses the URL-safe alphabet', () => {
    expect(toBase64Url(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('-_-_');
  });

  test.each([
    ['padding', 'Zg=='],
    ['standard alphabet +', '+w'],
    ['standard alphabet /', '/w'],
    ['a space', 'Zm9v Yg'],
    ['a line break', 'Zm9v\nYg'],
    ['a non-ASCII letter', 'Zm9vé'],
    ['impossible length', 'Zm9vY'],
    ['non-canonical last character (2)', 'Zh'],
    ['non-canonical last character (3)', 'Zm9'],
  ])('refuses %s', (_, text) => {
    expect(thrownCode(() => fromBase64Url(text))).toBe('malformed');
  });

  test('encodes a megabyte', () => {
    const bytes = new Uint8Array(1 << 20).map((_, i) => i * 7);
    const text = toBase64Url(bytes);
    expect(text.length).toBe(Math.ceil(((1 << 20) * 4) / 3));
    expect(sameBytes(fromBase64Url(text), bytes)).toBe(true);
  });
});

describe('hex', () => {
  test('agrees with Node for any bytes, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toHex(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('hex'));
        expect(fromHex(text)).toEqual(bytes);
        expect(fromHex(text.toUpperCase())).toEqual(bytes);
      }),
    );
  });

  test.each(['0', 'abc', '0x00', 'gg', '0g', ' 00', '00 ', '-1', '１２'])('refuses %j', (text) => {
    expect(thrownCode(() => fromHex(text))).toBe('malformed');
  });
});

describe('utf8', () => {
  test('refuses invalid UTF-8 rather than replacing it', () => {
    expect(thrownCode(() => utf8Decode(Uint8Array.of(0x66, 0xff)))).toBe('malformed');
    expect(thrownCode(() => utf8Decode(Uint8Array.of(0xed, 0xa0, 0x80)))).toBe('malformed'); // a lone surrogate
  });

  test('keeps a leading byte-order mark', () => {
    expect(utf8Decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61))).toBe('\ufeffa');
  });
});

test('concatBytes', () => {
  expect(concatBytes(Uint8Array.of(1), new Uint8Array(), Uint8Array.of(2, 3))).toEqual(
    Uint8Array.of(1, 2, 3),
  );
  expect(concatBytes()).toEqual(new Uint8Array());
});
