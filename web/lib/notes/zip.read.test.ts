import { constants, deflateRawSync } from 'node:zlib';
import { strFromU8, strToU8, Zip, ZipDeflate, ZipPassThrough, zipSync, type Zippable } from 'fflate';
import { describe, expect, test } from 'vitest';
import { deflatedAtMost, entryBytes, listZip, type ZipEntry } from './zip.read';

const MAX = 5000;

/** Every entry's name and text, as this reader gives them (null where it refuses one). */
function readAll(zip: Uint8Array): [string, string | null][] {
  return listZip(zip, MAX).map((e) => {
    const bytes = entryBytes(zip, e);
    return [e.path, bytes && strFromU8(bytes)];
  });
}

/** A zip as fflate streams it: sizes in data descriptors after each entry (flag 3), as many tools do. */
function streamed(files: [string, string, 'deflate' | 'store'][]): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  for (const [name, text, how] of files) {
    const file = how === 'deflate' ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    zip.add(file);
    file.push(strToU8(text.slice(0, 10)));
    file.push(strToU8(text.slice(10)), true);
  }
  zip.end();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** The central records of `zip`, each rewritten by `change` (by its position). */
function rewrite(zip: Uint8Array, change: (i: number, view: DataView, at: number) => void): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  let i = 0;
  for (let at = view.getUint32(out.length - 22 + 16, true); view.getUint32(at, true) === 0x02014b50; i++) {
    change(i, view, at);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

/** A raw deflate stream of `count` empty stored blocks, the last one final: it inflates to nothing. */
function emptyBlocks(count: number): Uint8Array {
  const out = new Uint8Array(count * 5);
  for (let at = 0; at < out.length; at += 5) out.set([at + 5 === out.length ? 1 : 0, 0, 0, 0xff, 0xff], at);
  return out;
}

describe('honest zips read back exactly', () => {
  const long = 'Lorem ipsum dolor sit amet. '.repeat(5000);

  test('fflate zipSync: deflated, stored, folders, extra fields and comments', () => {
    const files: Zippable = {
      'a.md': [strToU8(long), { comment: 'a file comment', extra: { 0xcafe: strToU8('extra field') } }],
      'dir/': new Uint8Array(0),
      'dir/b.md': [strToU8('stored'), { level: 0 }],
      'empty.md': new Uint8Array(0),
      'ünï.md': strToU8('名前'),
    };
    // An archive comment after the end record, which the reader has to search back over.
    const plain = zipSync(files);
    const comment = strToU8('PK an archive comment');
    const zip = new Uint8Array(plain.length + comment.length);
    zip.set(plain);
    zip.set(comment, plain.length);
    new DataView(zip.buffer).setUint16(plain.length - 2, comment.length, true);
    expect(readAll(zip)).toEqual([
      ['a.md', long],
      ['dir/', ''],
      ['dir/b.md', 'stored'],
      ['empty.md', ''],
      ['ünï.md', '名前'],
    ]);
  });

  test('streamed with data descriptors', () => {
    const zip = streamed([
      ['a.md', long, 'deflate'],
      ['b.md', 'short text', 'store'],
      ['c.md', '', 'deflate'],
    ]);
    expect(readAll(zip)).toEqual([
      ['a.md', long],
      ['b.md', 'short text'],
      ['c.md', ''],
    ]);
  });

  test('real deflaters stay within deflatedAtMost, even on data they cannot compress', () => {
    const noise = new Uint8Array(300_000).map((_, i) => (Math.imul(i, 2654435761) >>> 13) & 0xff);
    const high = new Uint8Array(300_000).map((_, i) => 0x90 + (i % 0x70)); // 9-bit fixed codes
    for (const data of [noise, high, strToU8(long), new Uint8Array(0), Uint8Array.of(0xff)]) {
      const streams = [
        deflateRawSync(data, { level: 9 }),
        deflateRawSync(data, { level: 1 }),
        deflateRawSync(data, { strategy: constants.Z_FIXED }),
        deflateRawSync(data, { strategy: constants.Z_HUFFMAN_ONLY }),
        deflateRawSync(data, { level: 0 }),
      ];
      for (const stream of streams) expect(stream.length).toBeLessThanOrEqual(deflatedAtMost(data.length));
    }
  });
});

describe('entries that share bytes', () => {
  test('records pointing at one local header: the zip is refused', () => {
    const zip = rewrite(zipSync({ 'a.md': strToU8('a'), 'b.md': strToU8('b') }), (_, view, at) =>
      view.setUint32(at + 42, 0, true),
    );
    expect(() => listZip(zip, MAX)).toThrow('overlap');
  });

  test('a local header hidden in another entry’s data: the zip is refused', () => {
    // b.md's local header and data, stored as the content of a.md; b.md's record then points there.
    const inner = zipSync({ 'b.md': [strToU8('hi'), { level: 0 }] });
    const hidden = inner.subarray(0, 30 + 4 + 2);
    const outer = zipSync({ 'a.md': [hidden, { level: 0 }], 'b.md': [strToU8('hi'), { level: 0 }] });
    const start = 30 + 4; // a.md's data, right after its local header
    expect(readAll(outer)).toEqual([
      ['a.md', strFromU8(hidden)],
      ['b.md', 'hi'],
    ]);
    const zip = rewrite(outer, (i, view, at) => i === 1 && view.setUint32(at + 42, start, true));
    expect(() => listZip(zip, MAX)).toThrow('overlap');
  });

  test('entries pointing past the central directory are never read, and do not spoil the others', () => {
    const honest = zipSync({ 'a.md': strToU8('a'), 'b.md': strToU8('b'), 'c.md': strToU8('c') });
    const zip = rewrite(honest, (i, view, at) => {
      if (i === 0) view.setUint32(at + 20, 0xffffffff, true); // compressed size: more than the zip
      if (i === 2) view.setUint32(at + 42, honest.length - 10, true); // local header: in the end record
    });
    const entries = listZip(zip, MAX);
    expect(entries.map((e: ZipEntry) => e.start < 0)).toEqual([true, false, true]);
    expect(readAll(zip)).toEqual([
      ['a.md', null],
      ['b.md', 'b'],
      ['c.md', null],
    ]);
  });
});

describe('what one entry costs', () => {
  /** A zip whose one entry holds `stream` as raw deflate data and declares `size`. */
  const deflated = (stream: Uint8Array, size: number) =>
    rewrite(zipSync({ 'x.md': [stream, { level: 0 }] }), (_, view, at) => {
      view.setUint16(at + 10, 8, true);
      view.setUint32(at + 24, size, true);
    });

  test('more compressed bytes than the declared size could deflate to: refused unread', () => {
    const stream = emptyBlocks(100_000);
    expect(readAll(deflated(stream, 0))).toEqual([['x.md', null]]);
    // Declaring enough size to make the length plausible only leads to a stream that is too short.
    expect(readAll(deflated(stream, stream.length))).toEqual([['x.md', null]]);
  });

  test('a stream that does not end within its declared bytes is refused', () => {
    const stream = deflateRawSync(strToU8('hello hello hello'));
    expect(readAll(deflated(stream, 17))).toEqual([['x.md', 'hello hello hello']]);
    const cut = rewrite(deflated(stream, 17), (_, view, at) =>
      view.setUint32(at + 20, stream.length - 2, true),
    );
    expect(readAll(cut)).toEqual([['x.md', null]]);
  });
});
