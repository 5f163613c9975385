import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlParams } from '../sql';
import { compileFilter } from './filter.compile';
import { FilterError } from './filter.error';
import { FROM, openTestDb, testResolver } from './filter.fixture';
import { SIGN_OPERATORS } from './filter.lex';

/**
 * Properties of the filter compiler: it fails only with FilterError, values never shape the SQL,
 * and whatever it produces is SQL SQLite accepts.
 */

const db = openTestDb();
afterAll(() => db.close());

/** Runs compiled SQL against the fixture table; SQL errors surface as exceptions. */
function run(where: string, params: SqlParams): void {
  db.prepare(`SELECT count(*) AS c ${FROM} WHERE ${where}`).get(params.values);
}

/** A text literal as a client writes it: the quote escaped with a backslash (the SDK's pb.filter does the same). */
const quote = (value: string): string => `'${value.replaceAll("'", "\\'")}'`;

const nasty = fc.constantFrom(
  "'); DROP TABLE t; --",
  '%',
  '_',
  '\\%',
  '%%',
  "'",
  '"',
  '\\"x',
  '\u0000',
  '😀',
  '\ud800',
  'NULL',
);
/** Any text, except one ending in a backslash: that would escape its own closing quote (in PocketBase too). */
const anyText = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), nasty)
  .filter((v) => !v.endsWith('\\'));
const number = fc
  .tuple(fc.boolean(), fc.nat(1_000_000_000), fc.option(fc.nat(999_999), { nil: undefined }))
  .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`);

const FIELDS = ['title', 'n', 'flag', 'tags', 'tags:each', 'data', 'id'];
const MACROS = ['@now', '@yesterday', '@todayEnd', '@monthStart', '@second', '@weekday', '@year'];

/** A value operand of any kind the grammar has, always resolvable by the test resolver. */
const operand: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...FIELDS, ...MACROS, 'true', 'false', 'null'),
  anyText.map(quote),
  number,
  fc
    .tuple(
      ...Array.from({ length: 4 }, () =>
        fc.oneof(number, fc.constantFrom('n', 'flag', 'tags:each', '@hour')),
      ),
    )
    .map((args) => `geoDistance(${args.join(', ')})`),
  fc
    .tuple(
      anyText.map(quote),
      fc.option(fc.oneof(fc.constantFrom(...FIELDS, '@now'), anyText.map(quote), number), { nil: undefined }),
      fc.array(anyText.map(quote), { maxLength: 3 }),
    )
    .map(([format, time, modifiers]) =>
      time === undefined ? `strftime(${format})` : `strftime(${[format, time, ...modifiers].join(', ')})`,
    ),
);

const { filter: wellFormed } = fc.letrec<{ filter: string; comparison: string; group: string }>((tie) => ({
  filter: fc.oneof({ maxDepth: 4, depthIdentifier: 'filter' }, tie('comparison'), tie('group')),
  comparison: fc
    .tuple(operand, fc.constantFrom(...SIGN_OPERATORS), operand)
    .map(([left, op, right]) => `${left} ${op} ${right}`),
  group: fc
    .tuple(tie('filter'), fc.array(fc.tuple(fc.constantFrom('&&', '||'), tie('filter')), { maxLength: 2 }))
    .map(([first, rest]) => `(${first}${rest.map(([join, f]) => ` ${join} ${f}`).join('')})`),
}));

const FRAGMENTS = [
  ...FIELDS,
  ...MACROS,
  ...SIGN_OPERATORS,
  ...['secret', 'nope', '@request.x', 'TRUE', 'Null', 'geoDistance(', 'strftime(', 'foo(', '(', ')', ','],
  ...['==', '=!', '&&', '||', '&', '|', '//', '\n', '-', '.', ':', '"', "'", '\\', '#', '/', '😀', '\ud800'],
];
/** Tokens and near-tokens glued together in any order. */
const tokenSoup = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), anyText.map(quote), number, fc.string({ maxLength: 3 })), {
    maxLength: 30,
  })
  .chain((parts) =>
    fc
      .array(fc.constantFrom('', ' ', '\t'), { minLength: parts.length, maxLength: parts.length })
      .map((seps) => parts.map((p, i) => p + seps[i]!).join('')),
  );

/** Compiles; a FilterError is an accepted outcome, anything else fails the property. */
function compileOrReject(input: string): { where: string; params: SqlParams } | undefined {
  const params = new SqlParams();
  try {
    return { where: compileFilter(input, testResolver, params), params };
  } catch (e) {
    if (e instanceof FilterError) return undefined;
    throw e;
  }
}

describe('filter properties', () => {
  it('(a) garbage and token soups fail with FilterError only, and what compiles runs', () => {
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ maxLength: 300 }),
      tokenSoup,
      wellFormed.map((f) => f.slice(0, Math.max(0, f.length - 3))), // cut off mid-token
    );
    fc.assert(
      fc.property(input, (text) => {
        const compiled = compileOrReject(text);
        if (compiled) run(compiled.where, compiled.params);
      }),
      { numRuns: 3000 },
    );
  });

  it('(b) the same template with different values gives the same SQL; values live in params only', () => {
    const template = (v: string[], num: string): string =>
      `title = ${quote(v[0]!)} && (n > ${num} || tags:each ?~ ${quote(v[1]!)}) && data != ${quote(v[2]!)} && ` +
      `strftime(${quote(v[3]!)}, title) = ${quote(v[4]!)} && title !~ ${quote(v[0]!)} && tags:each != ${quote(v[1]!)}`;
    // Non-empty: PocketBase compares with '' and NULL differently, which is a different SQL shape by design.
    const values = fc.array(
      anyText.filter((v) => v !== ''),
      { minLength: 5, maxLength: 5 },
    );
    fc.assert(
      fc.property(values, values, number, number, (a, b, numA, numB) => {
        const pa = new SqlParams();
        const pb = new SqlParams();
        const sqlA = compileFilter(template(a, numA), testResolver, pa);
        const sqlB = compileFilter(template(b, numB), testResolver, pb);
        expect(sqlA).toBe(sqlB);
        expect(pa.values['p0']).toBe(a[0]); // the text survives quoting and escaping exactly
        expect(pb.values['p0']).toBe(b[0]);
        expect(pa.values['p1']).toBe(Number(numA));
      }),
      { numRuns: 1000 },
    );
  });

  it('(c) every well-formed filter compiles to SQL that SQLite runs', () => {
    fc.assert(
      fc.property(wellFormed, (text) => {
        const params = new SqlParams();
        run(compileFilter(text, testResolver, params), params);
      }),
      { numRuns: 2000 },
    );
  });
});
