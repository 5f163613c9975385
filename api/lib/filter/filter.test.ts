import { afterAll, describe, expect, it } from 'vitest';
import { SqlParams } from '../sql';
import { compileFilter, toLikePattern } from './filter.compile';
import { FilterError } from './filter.error';
import { FROM, openTestDb, testResolver } from './filter.fixture';
import { tokenize } from './filter.lex';
import { macroValue } from './filter.macros';
import { placeholdersIn } from './filter.operand';
import { MAX_DEPTH, MAX_EXPRESSIONS, MAX_FILTER_LENGTH, parseFilter } from './filter.parse';

const NOW = new Date('2024-02-29T13:14:15.678Z');

function compile(filter: string): { sql: string; params: Record<string, unknown> } {
  const params = new SqlParams();
  const sql = compileFilter(filter, testResolver, params, { now: NOW });
  return { sql, params: params.values };
}

describe('tokenize', () => {
  const scenarios: [string, string[]][] = [
    ['a=1', ['identifier:a', 'sign:=', 'number:1']],
    ['@request.body.tags:each ?!~ "x"', ['identifier:@request.body.tags:each', 'sign:?!~', 'text:x']],
    ['@collection.posts:p.title', ['identifier:@collection.posts:p.title']],
    [
      'n>-1.25||m<=3',
      ['identifier:n', 'sign:>', 'number:-1.25', 'join:||', 'identifier:m', 'sign:<=', 'number:3'],
    ],
    ['12-3', ['number:12', 'number:-3']],
    ['\'it\\\'s\' "say \\"hi\\""', ["text:it's", 'text:say "hi"']],
    ["'back\\\\slash'", ['text:back\\\\slash']],
    ['\'mixed "quotes"\'', ['text:mixed "quotes"']],
    [
      'geoDistance(a, 1)',
      ['function:geoDistance', 'lparen:(', 'identifier:a', 'comma:,', 'number:1', 'rparen:)'],
    ],
    ['geoDistance (a)', ['identifier:geoDistance', 'lparen:(', 'identifier:a', 'rparen:)']],
    [
      'a = 1 // note\n&& b = 2',
      ['identifier:a', 'sign:=', 'number:1', 'join:&&', 'identifier:b', 'sign:=', 'number:2'],
    ],
    ['//only\n', []],
    [' \t\r\n', []],
  ];
  it.each(scenarios)('%j', (input, expected) => {
    expect(tokenize(input).map((t) => `${t.type}:${t.value}`)).toEqual(expected);
  });
});

describe('malformed filters throw FilterError with a pointer', () => {
  const scenarios: [string, string][] = [
    ["title = 'a' )", 'Invalid filter: unexpected ")" at position 12.'],
    [')', 'Invalid filter: expected an expression, got ")" at position 0.'],
    [
      'title',
      'Invalid filter: expected an operator (=, !=, >, >=, <, <=, ~, !~ or ?…), got end of filter at position 5.',
    ],
    ['title =', 'Invalid filter: expected a value after "=", got end of filter at position 7.'],
    ['title == 1', 'Invalid filter: unknown operator "==" at position 6.'],
    ['title =! 1', 'Invalid filter: unknown operator "=!" at position 6.'],
    ['a = 1 & b = 2', 'Invalid filter: unknown operator "&" at position 6.'],
    ['a = 1 &&& b = 2', 'Invalid filter: unknown operator "&&&" at position 6.'],
    ['a = 1 b = 2', 'Invalid filter: expected "&&" or "||", got identifier "b" at position 6.'],
    ['a = 1 &&', 'Invalid filter: expected an expression, got end of filter at position 8.'],
    ['(a = 1', 'Invalid filter: expected a closing ")", got end of filter at position 6.'],
    ['(a = 1 b', 'Invalid filter: expected "&&", "||" or ")", got identifier "b" at position 7.'],
    ['()', 'Invalid filter: expected an expression, got ")" at position 1.'],
    ['a. = 1', 'Invalid filter: incomplete identifier "a." at position 0.'],
    ['tags: = 1', 'Invalid filter: incomplete identifier "tags:" at position 0.'],
    ['@ = 1', 'Invalid filter: incomplete identifier "@" at position 0.'],
    ["a = 'open", "Invalid filter: unterminated text, the closing ' is missing at position 4."],
    [
      "a = 'ends in backslash\\'",
      "Invalid filter: unterminated text, the closing ' is missing at position 4.",
    ],
    ['a = 1.', 'Invalid filter: invalid number "1." at position 4.'],
    ['a = 1.2.3', 'Invalid filter: invalid number "1.2.3" at position 4.'],
    ['a = 12abc', 'Invalid filter: invalid number "12abc" at position 4.'],
    ['a = - 1', 'Invalid filter: unexpected "-" at position 4.'],
    ['a = 1 / 2', 'Invalid filter: unexpected "/" at position 6.'],
    ['a = #b', 'Invalid filter: unexpected "#" at position 4.'],
    ['a = 😀', 'Invalid filter: unexpected "😀" at position 4.'],
    ['a = 1, b = 2', 'Invalid filter: expected "&&" or "||", got "," at position 5.'],
    ['a = (1)', 'Invalid filter: expected a value after "=", got "(" at position 4.'],
    ['geoDistance(1 2) = 1', 'Invalid filter: expected "," or ")", got number 2 at position 14.'],
    ['geoDistance(1,) = 1', 'Invalid filter: expected a function argument, got ")" at position 14.'],
    ['', 'Invalid filter: the filter is empty.'],
    ['  // nothing here', 'Invalid filter: the filter is empty.'],
  ];
  it.each(scenarios)('%j', (filter, message) => {
    const run = (): unknown => compile(filter);
    expect(run).toThrow(FilterError);
    expect(run).toThrow(message);
  });

  it.each([
    ['nope = 1', 'Invalid filter: unknown field "nope".'],
    ["secret = 'x'", 'Invalid filter: the field "secret" is hidden.'],
    ['foo(1) = 1', 'Invalid filter: unknown function "foo".'],
    ['geoDistance(1, 2, 3) < 1', 'Invalid filter: geoDistance() expects 4 arguments, got 3.'],
    [
      "geoDistance(1, 2, 3, 'x') < 1",
      'Invalid filter: geoDistance() argument 4 must be a field or a number.',
    ],
    ['strftime() = 1', 'Invalid filter: strftime() expects at least 1 argument.'],
    ['strftime(title) = 1', 'Invalid filter: strftime() expects the first argument to be a format text.'],
    [
      "strftime('%Y', strftime('%Y')) = 1",
      'Invalid filter: strftime() expects the second argument to be a date text, number or field.',
    ],
    ["strftime('%Y', title, 1) = 1", 'Invalid filter: strftime() modifier 1 must be a text.'],
  ])('resolver and function errors: %j', (filter, message) => {
    expect(() => compile(filter)).toThrow(new FilterError(message));
  });
});

describe('limits', () => {
  it(`refuses more than ${MAX_FILTER_LENGTH} characters`, () => {
    const long = `title = '${'x'.repeat(MAX_FILTER_LENGTH - 10)}'`;
    expect(long.length).toBe(MAX_FILTER_LENGTH);
    expect(() => parseFilter(long)).not.toThrow();
    expect(() => parseFilter(`${long} `)).toThrow(`longer than ${MAX_FILTER_LENGTH} characters`);
  });

  it(`refuses more than ${MAX_EXPRESSIONS} expressions`, () => {
    const many = (n: number): string => Array.from({ length: n }, () => 'n=1').join('&&');
    expect(() => parseFilter(many(MAX_EXPRESSIONS))).not.toThrow();
    expect(() => parseFilter(many(MAX_EXPRESSIONS + 1))).toThrow(`more than ${MAX_EXPRESSIONS} expressions`);
  });

  it('refuses deep nesting without exhausting the stack', () => {
    const nested = (n: number): string => `${'('.repeat(n)}n=1${')'.repeat(n)}`;
    expect(compile(nested(MAX_DEPTH)).sql).toBe('"t"."n" = :p0');
    expect(() => compile(nested(MAX_DEPTH + 1))).toThrow(FilterError);
    expect(() => compile('('.repeat(MAX_FILTER_LENGTH))).toThrow(FilterError);
  });
});

describe('compileFilter: SQL and params', () => {
  const scenarios: [string, string, Record<string, unknown>][] = [
    ["title = 'a'", '"t"."title" = :p0', { p0: 'a' }],
    ["title = ''", '("t"."title" = \'\' OR "t"."title" IS NULL)', { p0: '' }],
    ["title != ''", '("t"."title" IS NOT \'\' AND "t"."title" IS NOT NULL)', { p0: '' }],
    ["'' = title", '(\'\' = "t"."title" OR "t"."title" IS NULL)', { p0: '' }],
    ['title = null', '("t"."title" = \'\' OR "t"."title" IS NULL)', {}],
    ['null != title', '(\'\' IS NOT "t"."title" AND "t"."title" IS NOT NULL)', {}],
    ["'' = ''", "'' = ''", { p0: '', p1: '' }],
    ["null = ''", "'' = ''", { p0: '' }],
    ['title = n', 'COALESCE("t"."title", \'\') = COALESCE("t"."n", \'\')', {}],
    ['title != n', 'COALESCE("t"."title", \'\') IS NOT COALESCE("t"."n", \'\')', {}],
    ['title = true', '"t"."title" = :p0', { p0: 1 }],
    ['flag != false', '"t"."flag" IS NOT :p0', { p0: 0 }],
    ['n = 1.5', '"t"."n" = :p0', { p0: 1.5 }],
    ['n > -3', '"t"."n" > :p0', { p0: -3 }],
    [
      'n >= 0 && n < 10 || n <= -1',
      '("t"."n" >= :p0 AND "t"."n" < :p1 OR "t"."n" <= :p2)',
      { p0: 0, p1: 10, p2: -1 },
    ],
    ["title ~ 'pie'", '"t"."title" LIKE :p0 ESCAPE \'\\\'', { p0: '%pie%' }],
    ["title ~ 'a%'", '"t"."title" LIKE :p0 ESCAPE \'\\\'', { p0: 'a%' }],
    ["title !~ 'a_b\\\\c'", '"t"."title" NOT LIKE :p0 ESCAPE \'\\\'', { p0: '%a\\_b\\\\c%' }],
    ['title ~ n', '"t"."title" LIKE (\'%\' || "t"."n" || \'%\') ESCAPE \'\\\'', {}],
    ['n ~ title', '"t"."n" LIKE (\'%\' || "t"."title" || \'%\') ESCAPE \'\\\'', {}],
    [
      "tags:each = 'x'",
      '(("tj"."value" = :p0) AND (NOT EXISTS (SELECT 1 FROM (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__sm0" WHERE NOT ("__sm0"."v" = :p0))))',
      { p0: 'x' },
    ],
    ["tags:each ?= 'x'", '"tj"."value" = :p0', { p0: 'x' }],
    [
      "tags:each != 'x'",
      '(("tj"."value" IS NOT :p0) AND (NOT EXISTS (SELECT 1 FROM (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__sm0" WHERE NOT ("__sm0"."v" IS NOT :p0))))',
      { p0: 'x' },
    ],
    [
      "'x' = tags:each",
      '((:p0 = "tj"."value") AND (NOT EXISTS (SELECT 1 FROM (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__sm0" WHERE NOT (:p0 = "__sm0"."v"))))',
      { p0: 'x' },
    ],
    [
      'tags:each = tags:each',
      '((COALESCE("tj"."value", \'\') = COALESCE("tj"."value", \'\')) AND (NOT EXISTS (SELECT 1 FROM (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__ml0" LEFT JOIN (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__mr1" WHERE NOT (COALESCE("__ml0"."v", \'\') = COALESCE("__mr1"."v", \'\')))))',
      {},
    ],
    [
      'tags:each > n',
      '(("tj"."value" > "t"."n") AND (NOT EXISTS (SELECT 1 FROM (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__sm0" WHERE NOT ("__sm0"."v" > "t"."n"))))',
      {},
    ],
    ['data = null', 'json_extract("t"."data", \'$\') IS NULL', {}],
    ['data != 1', 'json_extract("t"."data", \'$\') IS NOT :p0', { p0: 1 }],
    ["data ?= 'x'", 'json_extract("t"."data", \'$\') IS :p0', { p0: 'x' }],
    [
      "(title = 'a' || title = 'b') && n > 1",
      '(("t"."title" = :p0 OR "t"."title" = :p1) AND "t"."n" > :p2)',
      { p0: 'a', p1: 'b', p2: 1 },
    ],
    ["((title = 'a'))", '"t"."title" = :p0', { p0: 'a' }],
    [
      "title = 'a' // trailing comment\n && n = 1",
      '("t"."title" = :p0 AND "t"."n" = :p1)',
      { p0: 'a', p1: 1 },
    ],
    ['@now > title', ':p0 > "t"."title"', { p0: '2024-02-29 13:14:15.678Z' }],
    [
      '@todayStart <= title && @month = n',
      '(:p0 <= "t"."title" AND :p1 = "t"."n")',
      { p0: '2024-02-29 00:00:00.000Z', p1: 2 },
    ],
    [
      'geoDistance(n, n, 13.4, -52.5) < 100',
      '(6371 * acos(cos(radians("t"."n")) * cos(radians(:p1)) * cos(radians(:p0) - radians("t"."n")) + sin(radians("t"."n")) * sin(radians(:p1)))) < :p2',
      { p0: 13.4, p1: -52.5, p2: 100 },
    ],
    [
      "strftime('%Y-%m', title) = '2024-02'",
      'strftime(:p0, "t"."title") = :p1',
      { p0: '%Y-%m', p1: '2024-02' },
    ],
    ["strftime('%Y') = '2024'", 'strftime(:p0) = :p1', { p0: '%Y', p1: '2024' }],
    [
      "strftime('%Y-%m-%d', title, '+1 day', 'start of month') != ''",
      '(strftime(:p0, "t"."title", :p1, :p2) IS NOT \'\' AND strftime(:p0, "t"."title", :p1, :p2) IS NOT NULL)',
      { p0: '%Y-%m-%d', p1: '+1 day', p2: 'start of month', p3: '' },
    ],
    [
      "strftime('%Y', tags:each) = '2024'",
      '((strftime(:p0, "tj"."value") = :p1) AND (NOT EXISTS (SELECT 1 FROM (SELECT strftime(:p0, "__mmf0"."v") AS "v" FROM (SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je") AS "__mmf0") AS "__sm1" WHERE NOT ("__sm1"."v" = :p1))))',
      { p0: '%Y', p1: '2024' },
    ],
  ];
  it.each(scenarios)('%j', (filter, sql, params) => {
    expect(compile(filter)).toEqual({ sql, params });
  });

  it('a filter template gives the same SQL whatever the values', () => {
    const a = compile("title = 'x' && n > 1");
    const b = compile(`title = "'); DROP TABLE t; --" && n > 2`);
    expect(a.sql).toBe(b.sql);
    expect(b.params).toEqual({ p0: "'); DROP TABLE t; --", p1: 2 });
  });
});

describe('placeholdersIn', () => {
  it('finds bound parameters outside quoted names and texts only', () => {
    const params = new SqlParams();
    params.add('a');
    params.add('b');
    params.add('c');
    expect(placeholdersIn(`"x:p0"."v" = :p1 AND ':p0' = :p2 OR :p9 = :p10`, params)).toEqual(['p1', 'p2']);
  });
});

describe('macros', () => {
  it.each([
    ['@now', '2024-02-29 13:14:15.678Z'],
    ['@yesterday', '2024-02-28 13:14:15.678Z'],
    ['@tomorrow', '2024-03-01 13:14:15.678Z'],
    ['@second', 15],
    ['@minute', 14],
    ['@hour', 13],
    ['@day', 29],
    ['@month', 2],
    ['@weekday', 4],
    ['@year', 2024],
    ['@todayStart', '2024-02-29 00:00:00.000Z'],
    ['@todayEnd', '2024-02-29 23:59:59.999Z'],
    ['@monthStart', '2024-02-01 00:00:00.000Z'],
    ['@monthEnd', '2024-02-29 23:59:59.999Z'],
    ['@yearStart', '2024-01-01 00:00:00.000Z'],
    ['@yearEnd', '2024-12-31 23:59:59.999Z'],
  ])('%s', (name, value) => {
    expect(macroValue(name, NOW)).toBe(value);
    expect(compile(`${name} = n`).params).toEqual({ p0: value });
  });

  it('@monthEnd of a 31-day month and an unknown macro', () => {
    expect(macroValue('@monthEnd', new Date('2023-12-15T00:00:00Z'))).toBe('2023-12-31 23:59:59.999Z');
    expect(macroValue('@NOW', NOW)).toBeUndefined();
  });
});

describe('toLikePattern (PocketBase wrapLikeParams)', () => {
  it.each([
    ['abc', '%abc%'],
    ['a_b', '%a\\_b%'],
    ['a\\b', '%a\\\\b%'],
    ['a\\_b', '%a\\_b%'],
    ['ends\\', '%ends\\\\%'],
    ['50%', '50%'],
    ['50\\%', '%50\\%%'],
    ['\\\\%', '\\\\%'],
    ['', '%%'],
  ])('%j → %j', (value, pattern) => {
    expect(toLikePattern(value)).toBe(pattern);
    expect(toLikePattern(pattern)).toBe(pattern);
  });
});

describe('compiled filters select the right rows', () => {
  const db = openTestDb();
  afterAll(() => db.close());
  const ids = (filter: string): string[] => {
    const params = new SqlParams();
    const where = compileFilter(filter, testResolver, params);
    return db
      .prepare(`SELECT DISTINCT "t"."id" ${FROM} WHERE ${where} ORDER BY "t"."id"`)
      .all(params.values)
      .map((r) => (r as { id: string }).id);
  };

  it.each([
    ["title = ''", ['c']],
    ["title != ''", ['a', 'b', 'd']],
    ["title ~ 'APPLE'", ['a']],
    ["title ~ '100\\%'", ['d']],
    ["title ~ '100%'", ['d']],
    ["title ~ '_'", ['d']],
    ['title ~ "O\'Neil"', ['d']],
    ['n < 0', ['b']],
    ['flag = true', ['a', 'd']],
    ["tags:each = 'x'", ['b']],
    ["tags:each ?= 'x'", ['a', 'b']],
    ["tags:each != 'x'", ['c', 'd']],
    ["tags:each ?!= 'x'", ['a', 'c', 'd']],
    ['data = null', ['c']],
    ['data = 1', ['b']],
    ["data = 'text'", ['d']],
    ['(n > 5 || n < 0) && flag = false', ['b']],
    ['n > 5 || n < 0 && flag = false', ['a', 'b']],
  ])('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });
});
