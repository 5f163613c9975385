import { hkdfSync } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, test } from 'vitest';
import { concatBytes, fromBase64Url, toBase64Url, utf8Encode } from './encoding';
import { openLabel, sealLabel } from './labels';
import { sealNote } from './notes';
import { seededRandom, thrownCode } from './testing';

const master = Uint8Array.from({ length: 32 }, (_, i) => 0x20 + i);
const where = 'share a1b2c3d4e5f6g7h u9v8w7x6y5z4a3b';

describe('sealLabel / openLabel', () => {
  test('fixed vector', () => {
    const sealed = sealLabel('bob@example.com', master, where, seededRandom('label vector'));
    expect(sealed).toBe('AQfepbzxJ05YOTfCSOpm0kLHqPgDIWidJCMVJssEqAIKZCEZJbfkQAhJ21ZIVA_VABLzsmh8IRMd');
    expect(openLabel(sealed, master, where)).toBe('bob@example.com');
  });

  test('follows docs/notes-crypto.md: kind 7 under HKDF(master, "hearth label v1" ‖ 0 ‖ len ‖ where)', () => {
    const bytes = fromBase64Url(sealLabel('x', master, where, seededRandom('doc')));
    expect([...bytes.subarray(0, 2)]).toEqual([1, 7]);
    const info = concatBytes(utf8Encode('hearth label v1\0'), Uint8Array.of(where.length), utf8Encode(where));
    const subkey = new Uint8Array(hkdfSync('sha256', master, new Uint8Array(), info, 32));
    const opened = nacl.secretbox.open(bytes.subarray(26), bytes.subarray(2, 26), subkey);
    expect(opened && new TextDecoder().decode(opened)).toBe('x');
  });

  test('round trip of any text, empty and unicode included', () => {
    for (const text of ['', 'ä 🗝 \u0000 line\nbreak', 'a'.repeat(1024)]) {
      expect(openLabel(sealLabel(text, master, where), master, where)).toBe(text);
    }
    expect(thrownCode(() => sealLabel('a'.repeat(1025), master, where))).toBe('invalid-input');
  });

  test('another place, another key, a changed byte or another kind of value is refused', () => {
    const sealed = sealLabel('bob@example.com', master, where);
    expect(thrownCode(() => openLabel(sealed, master, `${where}x`))).toBe('tampered');
    expect(thrownCode(() => openLabel(sealed, new Uint8Array(32), where))).toBe('tampered');
    const bytes = fromBase64Url(sealed);
    bytes[30]! ^= 1;
    expect(thrownCode(() => openLabel(toBase64Url(bytes), master, where))).toBe('tampered');
    const note = sealNote({ noteId: 'n', version: 1, content: {} }, master);
    expect(thrownCode(() => openLabel(note, master, where))).toBe('malformed');
    expect(thrownCode(() => sealLabel('x', master, ''))).toBe('invalid-input');
    expect(thrownCode(() => sealLabel('x', new Uint8Array(16), where))).toBe('invalid-input');
  });
});
