import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
// The server's own grammar and compiler: these filters must mean to it what the console intends.
import { compileFilter, parseFilter, tokenize } from '../../../../api/lib/filter';
import { SqlParams } from '../../../../api/lib/sql';
import {
  containsPattern,
  identitiesFilter,
  idsFilter,
  MAX_SEARCH_LENGTH,
  quoteFilterText,
  searchFilter,
} from './filter';

const db = new Database(':memory:');
db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, title TEXT NOT NULL)');
afterAll(() => db.close());

const resolver = {
  resolve(name: string) {
    if (name !== 'id' && name !== 'title') throw new Error(`unknown field ${name}`);
    return { sql: `"t"."${name}"` };
  },
};

/** The ids of rows of `t` the filter selects, as the server would run it. */
function select(filter: string): string[] {
  const params = new SqlParams();
  const where = compileFilter(filter, resolver, params);
  return (
    db.prepare(`SELECT id FROM t AS t WHERE ${where} ORDER BY id`).all(params.values) as { id: string }[]
  ).map((r) => r.id);
}

/** SQLite's LIKE folds ASCII letters only. */
const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

const tricky = fc.constantFrom(
  '"',
  "'",
  '\\',
  '%',
  '_',
  '\\"',
  '\\%',
  '%%',
  '\n',
  '||',
  ') || (1=1',
  'ß',
  '😀',
);
const searchText = fc
  .array(fc.oneof(tricky, fc.string({ maxLength: 3 })), { maxLength: 8 })
  .map((parts) => parts.join(''));

describe('quoteFilterText', () => {
  test('the grammar reads back exactly the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        fc.pre(!text.endsWith('\\'));
        const tokens = tokenize(`title = ${quoteFilterText(text)}`);
        expect(tokens).toHaveLength(3);
        expect(tokens[2]).toMatchObject({ type: 'text', value: text });
      }),
    );
  });

  test('refuses a text the grammar cannot hold', () => {
    expect(() => quoteFilterText('a\\')).toThrow(RangeError);
  });
});

describe('searchFilter', () => {
  test('finds exactly the rows that contain the search, whatever it holds', () => {
    fc.assert(
      fc.property(searchText, fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }), (search, noise) => {
        const text = search.trim();
        fc.pre(text !== '');
        db.exec('DELETE FROM t');
        const titles = [`x${text}y`, text.toUpperCase(), ...noise, text.replace(/[%_]/g, 'a'), 'plain'];
        const insert = db.prepare('INSERT INTO t VALUES (?, ?)');
        titles.forEach((title, i) => insert.run(`r${i}`, title));
        const expected = titles
          .map((title, i) => ({ id: `r${i}`, hit: fold(title).includes(fold(text)) }))
          .filter((r) => r.hit)
          .map((r) => r.id)
          .sort();
        expect(select(searchFilter(['title'], search))).toEqual(expected);
      }),
    );
  });

  test('blank searches filter nothing; long ones are cut', () => {
    expect(searchFilter(['title'], '   ')).toBe('');
    expect(searchFilter([], 'x')).toBe('');
    const long = searchFilter(['id', 'title'], 'a'.repeat(5000));
    expect(long).toContain(`%${'a'.repeat(MAX_SEARCH_LENGTH)}%`);
    expect(long).not.toContain('a'.repeat(MAX_SEARCH_LENGTH + 1));
    expect(() => parseFilter(long)).not.toThrow();
  });

  test('searches every field given, joined with ||', () => {
    expect(searchFilter(['id', 'title'], 'a"b')).toBe('(id ~ "%a\\"b%" || title ~ "%a\\"b%")');
  });

  test('refuses a field name that is not one', () => {
    expect(() => searchFilter(['title = 1 ||'], 'x')).toThrow(RangeError);
  });

  test('containsPattern escapes LIKE wildcards', () => {
    expect(containsPattern('50%_a\\b')).toBe('%50\\%\\_a\\\\b%');
  });
});

describe('other filters', () => {
  test('idsFilter selects the ids given', () => {
    db.exec('DELETE FROM t');
    for (const id of ['a', 'b', 'c"d']) db.prepare('INSERT INTO t VALUES (?, ?)').run(id, '');
    expect(select(idsFilter(['a', 'c"d', 'missing']))).toEqual(['a', 'c"d']);
  });

  test('identitiesFilter names the _externalAuths columns', () => {
    expect(identitiesFilter('pbc_1', 'abc')).toBe('collectionRef = "pbc_1" && recordRef = "abc"');
  });
});
