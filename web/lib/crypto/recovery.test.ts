import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { utf8Encode } from './encoding';
import { newMasterKey, unwrapKey, wrapKey } from './keys';
import { crc24, formatRecoveryKey, newRecoveryKey, parseRecoveryKey } from './recovery';
import { seededRandom, thrownCode } from './testing';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const kek = Uint8Array.from({ length: 32 }, (_, i) => i);
const text = formatRecoveryKey(kek);

test('crc24 is OpenPGP’s (RFC 4880): the catalogue check value', () => {
  expect(crc24(utf8Encode('123456789'))).toBe(0x21cf02);
});

describe('formatRecoveryKey', () => {
  test('fixed vectors', () => {
    // 00 01 02 03 04 → 00000 00000 00000 10000 00100 00000 11000 00100 → 000G 40R4: checked by hand.
    expect(text).toBe('000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFT-5WF7');
    expect(formatRecoveryKey(new Uint8Array(32))).toBe(
      '0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0000-0007-FE2G',
    );
  });

  test('56 Crockford characters in 14 groups of four', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        expect(formatRecoveryKey(bytes)).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){13}$/);
      }),
    );
  });

  test('refuses a key that is not 32 bytes', () => {
    expect(thrownCode(() => formatRecoveryKey(new Uint8Array(31)))).toBe('invalid-input');
  });
});

describe('parseRecoveryKey', () => {
  test('reads back what was formatted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        expect(parseRecoveryKey(formatRecoveryKey(bytes))).toEqual(bytes);
      }),
    );
  });

  test.each([
    ['lower case', text.toLowerCase()],
    ['no dashes', text.replaceAll('-', '')],
    ['spaces for dashes', text.replaceAll('-', ' ')],
    ['lines and extra spaces', ` ${text.slice(0, 34)}\n${text.slice(34)}\t`],
    ['O for 0', text.replaceAll('0', 'O')],
    ['o for 0', text.replaceAll('0', 'o')],
    ['I for 1', text.replaceAll('1', 'I')],
    ['l for 1', text.replaceAll('1', 'l')],
  ])('tolerates %s', (_, typed) => {
    expect(text).toMatch(/0.*1|1.*0/); // the vector has both, so the folds are exercised
    expect(parseRecoveryKey(typed)).toEqual(kek);
  });

  // CRC-24 catches every error within 24 bits: one character is 5 bits, a swap of two is 10.
  test('every single wrong character is caught', () => {
    const compact = text.replaceAll('-', '');
    for (let at = 0; at < compact.length; at++) {
      for (const replacement of ALPHABET) {
        if (replacement === compact[at]) continue;
        const typo = compact.slice(0, at) + replacement + compact.slice(at + 1);
        expect(
          thrownCode(() => parseRecoveryKey(typo)),
          typo,
        ).toBe('bad-recovery-key');
      }
    }
  });

  test('every swap of neighbours is caught, for any key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(54), (bytes, at) => {
        const compact = formatRecoveryKey(bytes).replaceAll('-', '');
        fc.pre(compact[at] !== compact[at + 1]);
        const swapped = compact.slice(0, at) + compact[at + 1]! + compact[at]! + compact.slice(at + 2);
        expect(thrownCode(() => parseRecoveryKey(swapped))).toBe('bad-recovery-key');
      }),
    );
  });

  test.each([
    ['empty', ''],
    ['a missing character', text.slice(1)],
    ['an extra character', `${text}0`],
    ['a U', `U${text.slice(1)}`],
    ['punctuation', text.replace('-', '.')],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s', (_, typed) => {
    expect(thrownCode(() => parseRecoveryKey(typed))).toBe('bad-recovery-key');
  });
});

test('newRecoveryKey: random bytes and their text; another recovery key fails closed', () => {
  const made = newRecoveryKey(seededRandom('r'));
  expect(made.kek).toEqual(seededRandom('r')(32));
  expect(parseRecoveryKey(made.text)).toEqual(made.kek);
  const master = newMasterKey();
  const wrapped = wrapKey(master, parseRecoveryKey(made.text), 'master');
  const other = parseRecoveryKey(newRecoveryKey().text);
  expect(thrownCode(() => unwrapKey(wrapped, other, 'master'))).toBe('wrong-key');
  expect(unwrapKey(wrapped, made.kek, 'master')).toEqual(master);
});
