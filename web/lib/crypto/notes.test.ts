import { hkdfSync } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, test } from 'vitest';
import { concatBytes, fromBase64Url, toBase64Url, toHex, utf8Decode, utf8Encode } from './encoding';
import { newNoteKey, openAttachment, openNote, sealAttachment, sealNote, type NoteContent } from './notes';
import { sameBytes, seededRandom, thrownCode } from './testing';

const noteKey = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const noteId = 'a1b2c3d4e5f6g7h'; // a PocketBase record id
const content: NoteContent = { title: 'Groceries', text: 'milk\neggs', tags: ['home'] };

function flip(text: string, at: number, bit: number): string {
  const bytes = fromBase64Url(text);
  bytes[at]! ^= bit;
  return toBase64Url(bytes);
}

test('newNoteKey: 32 bytes from the random source', () => {
  expect(newNoteKey(seededRandom('n'))).toEqual(seededRandom('n')(32));
  expect(newNoteKey()).not.toEqual(newNoteKey());
});

describe('sealNote / openNote', () => {
  // Pinned: a change to the format, the label or the binding breaks this on purpose.
  test('fixed vector', () => {
    const sealed = sealNote({ noteId, version: 3, content }, noteKey, seededRandom('note vector'));
    expect(sealed).toBe(
      'AQRoXqnIVCobUz9BaeoM1JBG8dj7QTP3Me45xF7GDixC-1qPp6YoQt21FputLaEk3xvp6LrX4Ee9clMaadDVBB0iDF30EiRo8M9DzIFRlN-pQO0XlMg4FVkltAu84UiaT5FH',
    );
    expect(openNote(sealed, { noteId, version: 3 }, noteKey)).toEqual(content);
  });

  test('follows docs/notes-crypto.md byte for byte', () => {
    const nonce = seededRandom('doc')(24);
    const bytes = fromBase64Url(sealNote({ noteId, version: 3, content }, noteKey, seededRandom('doc')));
    expect([...bytes.subarray(0, 2)]).toEqual([1, 4]);
    expect(bytes.subarray(2, 26)).toEqual(nonce);
    const info = concatBytes(
      utf8Encode('hearth note v1\0'),
      Uint8Array.of(15),
      utf8Encode(noteId),
      Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0, 3),
    );
    const subkey = new Uint8Array(hkdfSync('sha256', noteKey, new Uint8Array(), info, 32));
    const plaintext = nacl.secretbox.open(bytes.subarray(26), nonce, subkey);
    expect(plaintext && utf8Decode(plaintext)).toBe(
      '{"title":"Groceries","text":"milk\\neggs","tags":["home"]}',
    );
  });

  test('round trip of any JSON object, with a fresh nonce each time', () => {
    const rich = {
      title: 'Ünïcödé 🔥',
      text: '\u0000 and \ud83d\ude00',
      tags: [],
      nested: { n: 1.5, b: null },
    };
    const sealed = sealNote({ noteId, version: 0, content: rich }, noteKey);
    expect(openNote(sealed, { noteId, version: 0 }, noteKey)).toEqual(rich);
    expect(sealNote({ noteId, version: 0, content: rich }, noteKey)).not.toBe(sealed);
  });

  test.each([
    ['another note', { noteId: 'zzzzzzzzzzzzzzz', version: 3 }],
    ['an older version (a rollback)', { noteId, version: 2 }],
    ['a newer version', { noteId, version: 4 }],
    ['a version 2^32 apart', { noteId, version: 3 + 2 ** 32 }],
    ['a note id differing in case', { noteId: noteId.toUpperCase(), version: 3 }],
  ])('refuses a ciphertext moved to %s', (_, binding) => {
    const sealed = sealNote({ noteId, version: 3, content }, noteKey);
    expect(thrownCode(() => openNote(sealed, binding, noteKey))).toBe('tampered');
  });

  test('refuses a ciphertext swapped in from another note with its own key', () => {
    const otherKey = newNoteKey();
    const other = sealNote({ noteId: 'otherotherother', version: 3, content }, otherKey);
    expect(thrownCode(() => openNote(other, { noteId, version: 3 }, noteKey))).toBe('tampered');
    expect(thrownCode(() => openNote(other, { noteId, version: 3 }, otherKey))).toBe('tampered');
  });

  test('a wrong note key fails closed', () => {
    const sealed = sealNote({ noteId, version: 3, content }, noteKey);
    expect(thrownCode(() => openNote(sealed, { noteId, version: 3 }, newNoteKey()))).toBe('tampered');
  });

  test('any changed bit is refused', () => {
    const sealed = sealNote({ noteId, version: 1, content: { t: 'x' } }, noteKey);
    const length = fromBase64Url(sealed).length;
    for (let at = 0; at < length; at++) {
      for (const bit of [0x01, 0x80]) {
        const expected = at === 0 ? 'unsupported-version' : at === 1 ? 'malformed' : 'tampered';
        expect(
          thrownCode(() => openNote(flip(sealed, at, bit), { noteId, version: 1 }, noteKey)),
          `byte ${at}`,
        ).toBe(expected);
      }
    }
  });

  test('any truncation or extension is refused', () => {
    const bytes = fromBase64Url(sealNote({ noteId, version: 1, content }, noteKey));
    for (let length = 0; length < bytes.length; length++) {
      const code = thrownCode(() =>
        openNote(toBase64Url(bytes.subarray(0, length)), { noteId, version: 1 }, noteKey),
      );
      expect(['malformed', 'tampered'], `length ${length}`).toContain(code);
    }
    const longer = toBase64Url(concatBytes(bytes, Uint8Array.of(0)));
    expect(thrownCode(() => openNote(longer, { noteId, version: 1 }, noteKey))).toBe('tampered');
  });

  test('a megabyte note: linear size, round trip', () => {
    const text = 'x'.repeat(1 << 20);
    const sealed = sealNote({ noteId, version: 9, content: { text } }, noteKey);
    const json = JSON.stringify({ text });
    expect(sealed.length).toBe(Math.ceil(((2 + 24 + 16 + json.length) * 4) / 3));
    expect((openNote(sealed, { noteId, version: 9 }, noteKey)['text'] as string) === text).toBe(true);
  });

  test('the largest bindings', () => {
    const binding = { noteId: 'é'.repeat(127) + 'a', version: Number.MAX_SAFE_INTEGER };
    const sealed = sealNote({ ...binding, content }, noteKey);
    expect(openNote(sealed, binding, noteKey)).toEqual(content);
  });

  test.each([
    ['an empty note id', { noteId: '' }],
    ['a note id over 255 bytes', { noteId: 'é'.repeat(128) }],
    ['a negative version', { version: -1 }],
    ['a fractional version', { version: 1.5 }],
    ['a NaN version', { version: Number.NaN }],
    ['an unsafe version', { version: 2 ** 53 }],
  ])('refuses %s', (_, change) => {
    const binding = { noteId, version: 1, ...change };
    expect(thrownCode(() => sealNote({ ...binding, content }, noteKey))).toBe('invalid-input');
    expect(thrownCode(() => openNote('AQQ', binding, noteKey))).toBe('invalid-input');
  });

  test.each([
    ['an array', []],
    ['null', null],
    ['a string', 'text'],
    ['a BigInt', { n: 1n }],
    ['an object whose toJSON gives nothing', { toJSON: () => undefined }],
  ])('refuses content that is %s', (_, value) => {
    expect(thrownCode(() => sealNote({ noteId, version: 1, content: value as NoteContent }, noteKey))).toBe(
      'invalid-input',
    );
  });

  test('refuses a note key that is not 32 bytes', () => {
    expect(thrownCode(() => sealNote({ noteId, version: 1, content }, new Uint8Array(16)))).toBe(
      'invalid-input',
    );
  });
});

describe('sealAttachment / openAttachment', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 255);
  const binding = { noteId, name: 'photo_k3j4h5.jpg' };

  test('fixed vector, as bytes', () => {
    const sealed = sealAttachment(
      Uint8Array.of(1, 2, 3),
      binding,
      noteKey,
      seededRandom('attachment vector'),
    );
    expect(sealed).toBeInstanceOf(Uint8Array);
    expect(toHex(sealed)).toBe(
      '010525eddb77d5dfee6da76082c5f08fffdd861d7959c4654209450d2f80febc104b7c653eca04e43d2c55d441',
    );
    // The subkey as docs/notes-crypto.md states it, through Node's HKDF.
    const info = concatBytes(
      utf8Encode('hearth attachment v1\0'),
      Uint8Array.of(15),
      utf8Encode(noteId),
      Uint8Array.of(16),
      utf8Encode(binding.name),
    );
    const subkey = new Uint8Array(hkdfSync('sha256', noteKey, new Uint8Array(), info, 32));
    expect(nacl.secretbox.open(sealed.subarray(26), sealed.subarray(2, 26), subkey)).toEqual(
      Uint8Array.of(1, 2, 3),
    );
  });

  test('round trip of a megabyte, 42 bytes larger', () => {
    const big = new Uint8Array(1 << 20).map((_, i) => i);
    const sealed = sealAttachment(big, binding, noteKey);
    expect(sealed).toHaveLength(big.length + 42);
    expect(sameBytes(openAttachment(sealed, binding, noteKey), big)).toBe(true);
  });

  test.each([
    ['another note', { noteId: 'zzzzzzzzzzzzzzz', name: binding.name }],
    ['another name', { noteId, name: 'photo_other.jpg' }],
  ])('refuses an attachment moved to %s', (_, other) => {
    const sealed = sealAttachment(bytes, binding, noteKey);
    expect(thrownCode(() => openAttachment(sealed, other, noteKey))).toBe('tampered');
  });

  test('refuses a changed byte and a wrong key', () => {
    const sealed = sealAttachment(bytes, binding, noteKey);
    for (const at of [2, 25, 26, 41, 42, sealed.length - 1]) {
      const changed = sealed.slice();
      changed[at]! ^= 1;
      expect(
        thrownCode(() => openAttachment(changed, binding, noteKey)),
        `byte ${at}`,
      ).toBe('tampered');
    }
    expect(thrownCode(() => openAttachment(sealed, binding, newNoteKey()))).toBe('tampered');
  });

  test('a note is not an attachment, nor the other way round', () => {
    const note = fromBase64Url(sealNote({ noteId, version: 1, content }, noteKey));
    expect(thrownCode(() => openAttachment(note, binding, noteKey))).toBe('malformed');
    const relabelled = sealAttachment(utf8Encode('{}'), binding, noteKey);
    relabelled[1] = 4;
    expect(thrownCode(() => openNote(toBase64Url(relabelled), { noteId, version: 1 }, noteKey))).toBe(
      'tampered',
    );
  });

  test.each([
    ['an empty name', { noteId, name: '' }],
    ['a name over 255 bytes', { noteId, name: 'a'.repeat(256) }],
    ['an empty note id', { noteId: '', name: 'a' }],
  ])('refuses %s', (_, bad) => {
    expect(thrownCode(() => sealAttachment(bytes, bad, noteKey))).toBe('invalid-input');
  });
});
