import fc from 'fast-check';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { describe, expect, test } from 'vitest';
import { emptyBody, newNoteId, sealBody, type Note, type NoteBody } from './notes.model';
import { exportFileName, exportNotes, IMPORT_LIMITS, NOTE_JSON_BYTES, readImport } from './transfer';

const NOW = new Date(2026, 10, 22, 10, 0, 0);

/** Notes whose ids follow the array order, which is the order the export writes them in. */
function notesOf(bodies: readonly Partial<NoteBody>[]): Note[] {
  return bodies.map((body, i) => ({
    ...emptyBody(),
    ...body,
    id: `note${String(i).padStart(11, '0')}`,
    version: 1,
    updated: '2026-11-22 10:00:00.123Z',
    mine: true,
    canEdit: true,
  }));
}

const bodyOf = ({ title, text, tags, pinned, archived, trashed }: Note): NoteBody => ({
  title,
  text,
  tags,
  pinned,
  archived,
  trashed,
});

const roundTrip = (notes: readonly Note[]) =>
  readImport([{ name: 'hearth-notes.zip', bytes: exportNotes(notes, NOW) }]);

const namesIn = (zip: Uint8Array) => Object.keys(unzipSync(zip));
const md = (name: string, text: string) => ({ name, bytes: strToU8(text) });

interface Declared {
  size?: number;
  method?: number;
  /** Compressed size. */
  packed?: number;
  /** Where the local header is. */
  offset?: number;
}

/** Rewrites what the central directory declares for the entries named. */
function declare(zip: Uint8Array, change: (name: string) => Declared | undefined): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  for (let at = view.getUint32(out.length - 22 + 16, true); view.getUint32(at, true) === 0x02014b50;) {
    const nameLength = view.getUint16(at + 28, true);
    const { size, method, packed, offset } =
      change(strFromU8(out.subarray(at + 46, at + 46 + nameLength))) ?? {};
    if (size !== undefined) view.setUint32(at + 24, size, true);
    if (method !== undefined) view.setUint16(at + 10, method, true);
    if (packed !== undefined) view.setUint32(at + 20, packed, true);
    if (offset !== undefined) view.setUint32(at + 42, offset, true);
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

const declareSizes = (zip: Uint8Array, size: (name: string) => number | undefined) =>
  declare(zip, (name) => ({ size: size(name) }));

/**
 * A raw deflate stream of `gib` GiB: one fixed-Huffman block, a literal "a" and then copies of 258
 * bytes at distance 1 (13 bits each, so the bytes repeat every 13 after the first two).
 */
function deflateBomb(gib: number): Uint8Array {
  const copies = Math.ceil((gib * 2 ** 30) / 258);
  const out = new Uint8Array(2 + Math.ceil((copies * 13) / 8));
  let bit = 0;
  const put = (code: number, length: number) => {
    for (let i = length - 1; i >= 0; i--, bit++) if ((code >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  put(0b110, 3); // BFINAL=1, then BTYPE=01 least significant bit first
  put(0x30 + 0x61, 8); // literal "a"
  for (let i = 0; i < 24; i++) {
    put(0b11000101, 8); // length 258
    put(0, 5); // distance 1
  }
  for (let at = 15; at < out.length; at += 13) out.copyWithin(at, 2, 15);
  return out;
}

/** A raw deflate stream of `count` empty stored blocks, the last one final: it inflates to nothing. */
function emptyBlocks(count: number): Uint8Array {
  const out = new Uint8Array(count * 5);
  for (let at = 0; at < out.length; at += 5) out.set([at + 5 === out.length ? 1 : 0, 0, 0, 0xff, 0xff], at);
  return out;
}

describe('export then import', () => {
  test('nasty titles, texts and tags come back exactly, flags and all', () => {
    const bodies: NoteBody[] = [
      { ...emptyBody(), title: 'Say "hi": now', text: 'plain', tags: ['a, b', ' spaced ', '"q"', '[x]', ''] },
      { ...emptyBody(), title: 'two\nlines\r\nand\ttab', text: '---\ntitle: fake\n---\nnot front matter' },
      { ...emptyBody(), title: '---', text: '# Not the title\n\nbody', pinned: true },
      { ...emptyBody(), title: '', text: '\n\nstarts with blank lines\n', archived: true },
      {
        ...emptyBody(),
        title: 'Ünïcödé 🎉 文字 \u2028\u0085\u009b\ufeff\ud800',
        text: '\ufeffBOM inside',
        trashed: true,
      },
      {
        ...emptyBody(),
        title: "it's # not: a comment",
        text: '',
        tags: ['tag: x', '#hash'],
        archived: true,
        trashed: true,
      },
      { ...emptyBody(), title: '   ', text: 'CON', tags: [] },
    ];
    expect(roundTrip(notesOf(bodies))).toEqual({ notes: bodies, sources: expect.any(Array), skipped: [] });
  });

  test('property: any notes come back as they went out (line ends in the text become \\n)', () => {
    const piece = (extra: string[]) =>
      fc.string({
        unit: fc.oneof(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
          fc.constantFrom(
            '"',
            "'",
            ':',
            '\n',
            '\r',
            '\r\n',
            '---',
            '# ',
            '-',
            ' ',
            '.',
            '\\',
            '/',
            ',',
            '[',
            ']',
            '\t',
            '\0',
            '\u2028',
            '\ufeff',
            '\u0085',
            'CON',
            'é',
            'e\u0301',
            '😀',
            ...extra,
          ),
        ),
        maxLength: 40,
      });
    const body = fc.record({
      title: piece(['\ud800', '\udfff']),
      text: piece([]),
      tags: fc.array(piece(['\ud800']), { maxLength: 4 }),
      pinned: fc.boolean(),
      archived: fc.boolean(),
      trashed: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(body, { maxLength: 12 }), (bodies) => {
        const expected = bodies.map((b) => ({ ...b, text: b.text.replace(/\r\n?/g, '\n') }));
        expect(roundTrip(notesOf(bodies))).toEqual({
          notes: expected,
          sources: expect.any(Array),
          skipped: [],
        });
      }),
      { numRuns: 300 },
    );
  });

  test('the same notes give the same bytes, whatever their order; any clock is fine', () => {
    const notes = notesOf([{ title: 'a' }, { title: 'b', trashed: true }, { title: 'a' }]);
    const zip = exportNotes(notes, NOW);
    expect(exportNotes([...notes].reverse(), NOW)).toEqual(zip);
    expect(roundTrip(notes).notes).toEqual(notes.map(bodyOf));
    for (const clock of [new Date(0), new Date(4102444800000 * 2), new Date(NaN)])
      expect(namesIn(exportNotes(notes, clock))).toEqual(['a.md', 'Trash/b.md', 'a (2).md']);
  });

  test('the download is named after the local date', () => {
    expect(exportFileName(new Date(2026, 0, 5, 23, 59))).toBe('hearth-notes-2026-01-05.zip');
  });
});

describe('file names in the export', () => {
  test.each([
    ['Plan', 'Plan.md'],
    ['', 'Untitled.md'],
    [' .. ', 'Untitled.md'],
    ['a/b\\c:d*e?f"g<h>i|j', 'a-b-c-d-e-f-g-h-i-j.md'],
    ['..hidden', 'hidden.md'],
    ['trailing dots... ', 'trailing dots.md'],
    ['line\nbreak\r\n\ttab\u0000nul', 'line break tab nul.md'],
    ['\u202Egpj.exe', 'gpj.exe.md'],
    ['CON', '_CON.md'],
    ['nul.txt', '_nul.txt.md'],
    ['Com1 ', '_Com1.md'],
    ['lpt9', '_lpt9.md'],
    ['CONSOLE', 'CONSOLE.md'],
    ['x'.repeat(150), `${'x'.repeat(100)}.md`],
    ['😀'.repeat(80), `${'😀'.repeat(50)}.md`],
    [`${'a'.repeat(99)}.b`, `${'a'.repeat(99)}.md`],
    ['Cafe\u0301', 'Café.md'],
    ['Ünïcödé 文字', 'Ünïcödé 文字.md'],
  ])('%j → %j', (title, expected) => {
    expect(namesIn(exportNotes(notesOf([{ title }]), NOW))).toEqual([expected]);
  });

  test('unique within a folder, ignoring case; trash and archive in their own folders', () => {
    const notes = notesOf([
      { title: 'Plan' },
      { title: 'Plan' },
      { title: 'plan' },
      { title: 'Plan (2)' },
      { title: 'Plan', trashed: true },
      { title: 'Plan', trashed: true, archived: true },
      { title: 'Plan', archived: true },
      { title: '' },
      { title: 'Untitled' },
    ]);
    expect(namesIn(exportNotes(notes, NOW))).toEqual([
      'Plan.md',
      'Plan (2).md',
      'plan (3).md',
      'Plan (2) (2).md',
      'Trash/Plan.md',
      'Trash/Plan (2).md',
      'Archive/Plan.md',
      'Untitled.md',
      'Untitled (2).md',
    ]);
  });

  test('many equal titles stay quick', () => {
    const notes = notesOf(Array.from({ length: 3000 }, () => ({ title: 'Same' })));
    const names = namesIn(exportNotes(notes, NOW));
    expect(new Set(names).size).toBe(3000);
    expect(names.at(-1)).toBe('Same (3000).md');
  });
});

describe('importing Markdown from elsewhere', () => {
  const one = (name: string, text: string) => readImport([md(name, text)]).notes[0];

  test('a first-line heading gives the title and leaves the text', () => {
    expect(one('Shopping.md', '# Groceries ##\n\n- milk\n- eggs')).toEqual({
      ...emptyBody(),
      title: 'Groceries',
      text: '- milk\n- eggs',
    });
  });

  test('else the file name without its extension', () => {
    expect(one('Ideas for 2027.markdown', 'just text\n# later heading')).toMatchObject({
      title: 'Ideas for 2027',
      text: 'just text\n# later heading',
    });
    expect(one('todo.TXT', '#hashtag, not a heading')).toMatchObject({ title: 'todo' });
  });

  test('a BOM goes, CRLF and CR become LF', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...strToU8('# Title\r\n\r\nLine 1\r\nLine 2\rLine 3')]);
    expect(readImport([{ name: 'w.md', bytes }]).notes).toEqual([
      { ...emptyBody(), title: 'Title', text: 'Line 1\nLine 2\nLine 3' },
    ]);
  });

  test('front matter from other apps: plain scalars, lists, nested keys, comments', () => {
    const text = [
      '---',
      'title: Trip to Rome # a comment',
      'tags:',
      '  - travel',
      "  - 'summer''s'",
      'aliases: [x, y]',
      'nested:',
      '  key: value',
      'pinned: yes',
      '---',
      'body',
    ].join('\n');
    expect(one('x.md', text)).toEqual({
      ...emptyBody(),
      title: 'Trip to Rome',
      tags: ['travel', "summer's"],
      pinned: true,
      text: 'body',
    });
    expect(one('y.md', '---\ntags: [a, "b"]\n---\n# From heading\ntext')).toMatchObject({
      title: 'From heading',
      tags: ['a', 'b'],
      text: 'text',
    });
  });

  test('a leading rule that is not front matter stays text', () => {
    expect(one('rule.md', '---\njust a line\n---\nmore')).toMatchObject({
      title: 'rule',
      text: '---\njust a line\n---\nmore',
    });
    expect(one('open.md', '---\ntitle: never closed')).toMatchObject({ title: 'open' });
  });

  test('inside a zip only the base name counts: no traversal, folders do not set flags', () => {
    const zip = zipSync({
      '../../etc/evil.md': strToU8('x'),
      'Trash/old.md': strToU8('y'),
      'Archive/kept.md': [strToU8('stored'), { level: 0 }],
      'a\\b\\win.md': strToU8('z'),
      'folder/': new Uint8Array(0),
      '__MACOSX/._evil.md': new Uint8Array([0, 5, 22, 7, 0xff]),
      'sub/.DS_Store': new Uint8Array([0xff]),
    });
    const result = readImport([{ name: 'notes.zip', bytes: zip }]);
    expect(result.skipped).toEqual([]);
    expect(result.notes).toEqual([
      { ...emptyBody(), title: 'evil', text: 'x' },
      { ...emptyBody(), title: 'old', text: 'y' },
      { ...emptyBody(), title: 'kept', text: 'stored' },
      { ...emptyBody(), title: 'win', text: 'z' },
    ]);
    expect(result.sources).toEqual([
      'notes.zip/evil.md',
      'notes.zip/old.md',
      'notes.zip/kept.md',
      'notes.zip/win.md',
    ]);
  });
});

describe('every imported note fits the server once sealed', () => {
  /** The notes collection's limit on `ciphertext`: CIPHERTEXT_MAX in api/notes/migrations/20261122101000_collections.ts. */
  const CIPHERTEXT_MAX = 4 * 1024 * 1024;
  const sealedLength = (note: NoteBody) => sealBody(newNoteId(), 1, note, new Uint8Array(32).fill(7)).length;

  test('plain and multi-byte text at the file limit', () => {
    for (const text of [
      'a'.repeat(IMPORT_LIMITS.fileBytes),
      '文'.repeat(Math.floor(IMPORT_LIMITS.fileBytes / 3)),
    ]) {
      const { notes, skipped } = readImport([md('big.md', text)]);
      expect(skipped).toEqual([]);
      expect(sealedLength(notes[0]!)).toBeLessThanOrEqual(CIPHERTEXT_MAX);
    }
  });

  test('a note that seals to exactly the limit is kept; one byte more is skipped as too large', () => {
    const frame = JSON.stringify({ ...emptyBody(), title: 't' }).length;
    const breaks = 1024 * 1024; // two bytes of JSON each, so the file is well under the file limit
    const text = '\n'.repeat(breaks) + 'a'.repeat(NOTE_JSON_BYTES - frame - 2 * breaks);
    const exact = readImport([md('t.md', text)]);
    expect(exact.skipped).toEqual([]);
    expect(sealedLength(exact.notes[0]!)).toBe(CIPHERTEXT_MAX);
    expect(readImport([md('t.md', `${text}a`)])).toEqual({
      notes: [],
      sources: [],
      skipped: [{ name: 't.md', reason: 'too-large' }],
    });
  });

  test('text that JSON escapes is measured escaped', () => {
    for (const c of ['\n', '"', '\\', '\t', '\u0001']) {
      expect(readImport([md('x.md', c.repeat(2 * 1024 * 1024))]).skipped).toEqual([
        { name: 'x.md', reason: 'too-large' },
      ]);
    }
  });
});

describe('hostile input is skipped with a reason, never thrown', () => {
  const big = (n: number) => new Uint8Array(n).fill(0x61);
  const zipped = (files: Zippable) => zipSync(files);
  /** Files of the largest size that one import holds. */
  const FIT = Math.floor(IMPORT_LIMITS.totalBytes / IMPORT_LIMITS.fileBytes);

  test.each<[string, () => { name: string; bytes: Uint8Array }[], number, [string, string][]]>([
    ['nothing', () => [], 0, []],
    [
      'not Markdown',
      () => [{ name: 'x.pdf', bytes: strToU8('%PDF') }, md('noext', 'a')],
      0,
      [
        ['x.pdf', 'not-markdown'],
        ['noext', 'not-markdown'],
      ],
    ],
    [
      'a file past the limit',
      () => [{ name: 'big.md', bytes: big(IMPORT_LIMITS.fileBytes + 1) }],
      0,
      [['big.md', 'too-large']],
    ],
    ['a file at the limit', () => [{ name: 'ok.md', bytes: big(IMPORT_LIMITS.fileBytes) }], 1, []],
    [
      'invalid UTF-8',
      () => [{ name: 'bad.md', bytes: new Uint8Array([0x61, 0xc3, 0x28]) }],
      0,
      [['bad.md', 'unreadable']],
    ],
    [
      'UTF-16',
      () => [{ name: 'utf16.txt', bytes: new Uint8Array([0xff, 0xfe, 0x61, 0x00]) }],
      0,
      [['utf16.txt', 'unreadable']],
    ],
    [
      'too many files',
      () => Array.from({ length: IMPORT_LIMITS.files + 2 }, (_, i) => md(`n${i}.md`, 'x')),
      IMPORT_LIMITS.files,
      [
        [`n${IMPORT_LIMITS.files}.md`, 'too-large'],
        [`n${IMPORT_LIMITS.files + 1}.md`, 'too-large'],
      ],
    ],
    [
      'more text than one import holds',
      () =>
        Array.from({ length: FIT + 1 }, (_, i) => ({
          name: `n${i}.md`,
          bytes: big(IMPORT_LIMITS.fileBytes),
        })),
      FIT,
      [[`n${FIT}.md`, 'too-large']],
    ],
    [
      'a nested zip',
      () => [
        {
          name: 'outer.zip',
          bytes: zipped({ 'inner.zip': zipped({ 'a.md': strToU8('a') }), 'b.md': strToU8('b') }),
        },
      ],
      1,
      [['outer.zip/inner.zip', 'not-markdown']],
    ],
    [
      'a picture in a zip',
      () => [{ name: 'z.zip', bytes: zipped({ 'cat.jpg': new Uint8Array([0xff, 0xd8]) }) }],
      0,
      [['z.zip/cat.jpg', 'not-markdown']],
    ],
    [
      'a zip entry declaring 4 GiB',
      () => [
        {
          name: 'huge.zip',
          bytes: declareSizes(zipped({ 'a.md': strToU8('a'), 'b.md': strToU8('b') }), (n) =>
            n === 'a.md' ? 0xfffffff0 : undefined,
          ),
        },
      ],
      1,
      [['huge.zip/a.md', 'too-large']],
    ],
    [
      'a zip whose entries declare more than one import holds',
      () => [
        {
          name: 'many.zip',
          bytes: declareSizes(
            zipped(Object.fromEntries(Array.from({ length: FIT + 1 }, (_, i) => [`n${i}.md`, strToU8('x')]))),
            () => IMPORT_LIMITS.fileBytes,
          ),
        },
      ],
      0,
      [['many.zip', 'too-large']],
    ],
    [
      'an entry longer than declared',
      () => [{ name: 'long.zip', bytes: declareSizes(zipped({ 'l.md': big(100_000) }), () => 100) }],
      0,
      [['long.zip/l.md', 'unreadable']],
    ],
    [
      'an entry shorter than declared',
      () => [{ name: 'short.zip', bytes: declareSizes(zipped({ 's.md': strToU8('abc') }), () => 10) }],
      0,
      [['short.zip/s.md', 'unreadable']],
    ],
    [
      'a zip with too many entries',
      () => [
        {
          name: 'lots.zip',
          bytes: zipped(
            Object.fromEntries(
              Array.from({ length: IMPORT_LIMITS.files + 1 }, (_, i) => [`${i}.md`, new Uint8Array(0)]),
            ),
          ),
        },
      ],
      0,
      [['lots.zip', 'too-large']],
    ],
    [
      'invalid UTF-8 in a zip',
      () => [{ name: 'u.zip', bytes: zipped({ 'bad.md': new Uint8Array([0xc3]) }) }],
      0,
      [['u.zip/bad.md', 'unreadable']],
    ],
    [
      'not a zip at all',
      () => [
        { name: 'broken.zip', bytes: strToU8('PK but not really') },
        { name: 'empty.zip', bytes: new Uint8Array(0) },
      ],
      0,
      [
        ['broken.zip', 'unreadable'],
        ['empty.zip', 'unreadable'],
      ],
    ],
    [
      'a cut-off zip',
      () => [{ name: 'cut.zip', bytes: zipped({ 'a.md': strToU8('a'.repeat(1000)) }).slice(0, 60) }],
      0,
      [['cut.zip', 'unreadable']],
    ],
  ])('%s', (_, files, noteCount, skipped) => {
    const result = readImport(files());
    expect(result.notes).toHaveLength(noteCount);
    expect(result.skipped.map((s) => [s.name, s.reason])).toEqual(skipped);
  });

  // No timings here (benchmarks hold figures); a bomb that were inflated would run into the test's timeout.
  test('a zip bomb that understates its size is given up at once, not inflated to its 4 GiB', () => {
    const stored = zipSync({ 'bomb.md': [deflateBomb(4), { level: 0 }] });
    const bytes = declare(stored, () => ({ size: 1000, method: 8 }));
    expect(readImport([{ name: 'bomb.zip', bytes }]).skipped).toEqual([
      { name: 'bomb.zip/bomb.md', reason: 'unreadable' },
    ]);
  });

  test('many entries sharing one stream of empty blocks: the zip is refused, not inflated again for each', () => {
    // 4 MB of empty stored blocks inflate to nothing, so each record declaring size 0 would pass every
    // size check; without the overlap check this zip costs 200 × 4 MB of inflating (seconds).
    const stream = emptyBlocks(800_000);
    const names = Array.from({ length: 200 }, (_, i) => `n${i}.md`);
    const files: Zippable = Object.fromEntries(names.map((n) => [n, [new Uint8Array(0), { level: 0 }]]));
    files[names[0]!] = [stream, { level: 0 }];
    const bytes = declare(zipSync(files), () => ({ size: 0, method: 8, packed: stream.length, offset: 0 }));
    expect(readImport([{ name: 'bomb.zip', bytes }])).toEqual({
      notes: [],
      sources: [],
      skipped: [{ name: 'bomb.zip', reason: 'unreadable' }],
    });
  });

  test('an entry of empty blocks far longer than its size could deflate to is not inflated', () => {
    const bytes = declare(
      zipSync({ 'e.md': [emptyBlocks(200_000), { level: 0 }], 'ok.md': strToU8('ok') }),
      (n) => (n === 'e.md' ? { size: 0, method: 8 } : undefined),
    );
    const result = readImport([{ name: 'e.zip', bytes }]);
    expect(result.skipped).toEqual([{ name: 'e.zip/e.md', reason: 'unreadable' }]);
    expect(result.notes.map((n) => n.text)).toEqual(['ok']);
  });

  test('random bytes named .zip or .md never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('r.zip', 'r.md'), (bytes, name) => {
        const result = readImport([{ name, bytes }]);
        expect(result.notes.length + result.skipped.length).toBe(1);
      }),
    );
  });

  test('a corrupted export never throws', () => {
    const zip = exportNotes(notesOf([{ title: 'a', text: 'hello '.repeat(50) }, { title: 'b' }]), NOW);
    fc.assert(
      fc.property(fc.nat(zip.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const bytes = zip.slice();
        bytes[at] = byte;
        expect(() => readImport([{ name: 'x.zip', bytes }])).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
