import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMultiple, type Collection, type Field, type Schema } from '../collections/collection.model';
import { FilterError } from '../lib/filter';
import { SqlParams, quoteIdent } from '../lib/sql';
import { compileRecordFilter, compileRecordSort, type ResolverContext } from './record.resolver';
import type { RequestInfo } from './request-info';

// --- a small schema: users (auth), tags, posts, comments -------------------------------------------

function field(type: Field['type'], name: string, extra: Record<string, unknown> = {}): Field {
  const defaults: Record<string, Record<string, unknown>> = {
    text: { min: 0, max: 0, pattern: '', autogeneratePattern: '', primaryKey: false },
    number: { min: null, max: null, onlyInt: false },
    select: { values: [], maxSelect: 1 },
    relation: { collectionId: '', cascadeDelete: false, minSelect: 0, maxSelect: 1 },
    password: { min: 0, max: 0, pattern: '', cost: 0 },
    email: { exceptDomains: null, onlyDomains: null },
    json: { maxSize: 0 },
    date: { min: '', max: '' },
  };
  return {
    id: `${type}_${name}`,
    name,
    type,
    system: false,
    hidden: false,
    presentable: false,
    required: false,
    ...defaults[type],
    ...extra,
  } as unknown as Field;
}

function collection(
  id: string,
  name: string,
  type: Collection['type'],
  fields: Field[],
  indexes: string[] = [],
): Collection {
  return {
    id,
    name,
    type,
    system: false,
    fields: [field('text', 'id', { primaryKey: true }), ...fields],
    indexes,
    // Open, so these tests are about paths; walks into guarded collections have their own below.
    listRule: '',
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
    created: '',
    updated: '',
  };
}

const users = collection('pbc_users', 'users', 'auth', [
  field('password', 'password', { hidden: true }),
  field('text', 'tokenKey', { hidden: true }),
  field('email', 'email'),
  field('bool', 'emailVisibility'),
  field('bool', 'verified'),
  field('text', 'name'),
  field('text', 'secret', { hidden: true }),
  field('select', 'roles', { values: ['admin', 'editor', 'viewer'], maxSelect: 3 }),
  field('relation', 'manager', { collectionId: 'pbc_users' }),
]);
const tags = collection('pbc_tags', 'tags', 'base', [field('text', 'label')]);
const posts = collection('pbc_posts', 'posts', 'base', [
  field('text', 'title'),
  field('number', 'views'),
  field('bool', 'published'),
  field('relation', 'author', { collectionId: 'pbc_users' }),
  field('relation', 'tags', { collectionId: 'pbc_tags', maxSelect: 5 }),
  field('select', 'status', { values: ['draft', 'live'] }),
  field('select', 'labels', { values: ['a', 'b', 'c'], maxSelect: 3 }),
  field('text', 'note', { hidden: true }),
  field('json', 'data'),
  field('date', 'created'),
]);
const comments = collection('pbc_comments', 'comments', 'base', [
  field('relation', 'post', { collectionId: 'pbc_posts' }),
  field('text', 'message'),
  field('relation', 'author', { collectionId: 'pbc_users' }),
]);
// A unique index on its single relation makes a back-relation single-valued.
const profiles = collection(
  'pbc_profiles',
  'profiles',
  'base',
  [field('relation', 'user', { collectionId: 'pbc_users' }), field('text', 'bio')],
  ['CREATE UNIQUE INDEX "idx_profiles_user" ON "profiles" ("user")'],
);

const all = [users, tags, posts, comments, profiles];
const schema: Schema = {
  find: (idOrName) => all.find((c) => c.id === idOrName || c.name.toLowerCase() === idOrName.toLowerCase()),
  all: () => all,
};

function columnType(f: Field): string {
  if (f.name === 'id') return 'TEXT PRIMARY KEY';
  if (isMultiple(f)) return "JSON NOT NULL DEFAULT '[]'";
  if (f.type === 'number') return 'NUMERIC NOT NULL DEFAULT 0';
  if (f.type === 'bool') return 'BOOLEAN NOT NULL DEFAULT FALSE';
  if (f.type === 'json') return 'JSON DEFAULT NULL';
  return "TEXT NOT NULL DEFAULT ''";
}

const db = new Database(':memory:');

function insert(c: Collection, row: Record<string, unknown>): void {
  const names = Object.keys(row);
  const values = names.map((n) =>
    Array.isArray(row[n]) || (typeof row[n] === 'object' && row[n] !== null)
      ? JSON.stringify(row[n])
      : row[n],
  );
  db.prepare(
    `INSERT INTO ${quoteIdent(c.name)} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
  ).run(...values);
}

const alice = {
  id: 'u1',
  email: 'alice@x.io',
  emailVisibility: 1,
  name: 'Alice',
  secret: 's1',
  roles: ['admin', 'editor'],
  tokenKey: 'k1',
  password: 'h1',
};
const bob = {
  id: 'u2',
  email: 'bob@x.io',
  emailVisibility: 0,
  name: 'Bob',
  secret: 's2',
  roles: ['viewer'],
  manager: 'u1',
  tokenKey: 'k2',
  password: 'h2',
};

beforeAll(() => {
  for (const c of all) {
    db.exec(
      `CREATE TABLE ${quoteIdent(c.name)} (${c.fields.map((f) => `${quoteIdent(f.name)} ${columnType(f)}`).join(', ')})`,
    );
  }
  insert(users, alice);
  insert(users, bob);
  insert(users, { id: 'u3', email: 'carol@x.io', name: 'Carol', manager: 'u1', tokenKey: 'k3' });
  insert(tags, { id: 't1', label: 'red' });
  insert(tags, { id: 't2', label: 'green' });
  insert(tags, { id: 't3', label: 'blue' });
  insert(posts, {
    id: 'p1',
    title: 'Hello World',
    views: 10,
    published: 1,
    author: 'u1',
    tags: ['t1', 't2'],
    status: 'draft',
    labels: ['a', 'b'],
    note: 'n1',
    data: { a: 1, b: { c: 'x' } },
    created: '2024-01-02 03:04:05.000Z',
  });
  insert(posts, {
    id: 'p2',
    title: 'Second',
    views: 5,
    published: 0,
    author: 'u2',
    tags: ['t1'],
    status: 'live',
    labels: ['a'],
    data: { a: 2 },
    created: '2023-06-01 00:00:00.000Z',
  });
  insert(posts, { id: 'p3', title: 'third 100%', views: 0, published: 1 });
  insert(posts, {
    id: 'p4',
    title: "O'Brien \\ _x",
    views: 20,
    published: 1,
    author: 'u3',
    tags: ['t2', 't3'],
    labels: ['b', 'c'],
    data: { a: 1 },
  });
  insert(comments, { id: 'c1', post: 'p1', message: 'nice', author: 'u2' });
  insert(comments, { id: 'c2', post: 'p1', message: 'great', author: 'u3' });
  insert(comments, { id: 'c3', post: 'p2', message: 'nice', author: 'u1' });
  insert(profiles, { id: 'pr1', user: 'u1', bio: 'hi' });
});
afterAll(() => db.close());

// --- running a filter -------------------------------------------------------------------------

interface Options {
  auth?: Record<string, unknown> | null;
  body?: Record<string, unknown>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  hidden?: boolean;
  sort?: string;
}

function context(o: Options = {}, params = new SqlParams()): ResolverContext {
  const request: RequestInfo = {
    auth: o.auth ? { collection: users, record: o.auth } : null,
    method: 'GET',
    context: 'default',
    query: o.query ?? {},
    headers: o.headers ?? {},
    body: o.body ?? {},
  };
  return { schema, collection: posts, alias: 't', request, params, allowHiddenFields: o.hidden ?? false };
}

/** The ids `SELECT DISTINCT t.id FROM posts t <joins> WHERE <where>` returns. */
function ids(filter: string, o: Options = {}): string[] {
  const ctx = context(o);
  const { where, joins } = compileRecordFilter(filter, ctx);
  const sql = `SELECT DISTINCT t.id FROM "posts" AS t ${joins.join(' ')} WHERE ${where} ORDER BY t.id`;
  return db
    .prepare(sql)
    .all(ctx.params.values)
    .map((r) => (r as { id: string }).id);
}

const u1 = { ...alice, roles: JSON.stringify(alice.roles), manager: '' };
const u2 = { ...bob, roles: JSON.stringify(bob.roles) };
const ALL = ['p1', 'p2', 'p3', 'p4'];

describe('compileRecordFilter: which posts a filter selects', () => {
  const scenarios: [string, string, string[], Options?][] = [
    ['own text field', "title = 'Second'", ['p2']],
    ['contains is case-insensitive', "title ~ 'hello'", ['p1']],
    ['a value with % is the pattern itself', "title ~ '100%'", []],
    ['an escaped % matches a literal %', "title ~ '100\\%'", ['p3']],
    ['_ is literal in contains', "title ~ '_x'", ['p4']],
    ['quotes inside values', 'title ~ "O\'Brien"', ['p4']],
    ['not contains', "title !~ 'o'", ['p3']],
    ['numbers and booleans', 'views >= 5 && published = true', ['p1', 'p4']],
    ['or binds looser than and', "views > 15 || title = 'Second' && published = false", ['p2', 'p4']],
    ['parentheses', "(views > 15 || title = 'Second') && published = false", ['p2']],
    ['empty relation equals ""', "author = ''", ['p3']],
    ['empty equals null', 'author = null', ['p3']],
    ['not empty', "author != ''", ['p1', 'p2', 'p4']],
    ['single relation path', "author.name = 'Bob'", ['p2']],
    ['relation id without a join', "author.id = 'u1'", ['p1']],
    ['two single relations deep', "author.manager.name = 'Alice'", ['p2', 'p4']],
    ['multi relation: every value', "tags.label = 'red'", ['p2']],
    ['multi relation: any value', "tags.label ?= 'red'", ['p1', 'p2']],
    ['multi relation: every value differs (no values is vacuous)', "tags.label != 'red'", ['p3', 'p4']],
    ['multi relation: some value differs', "tags.label ?!= 'red'", ['p1', 'p3', 'p4']],
    ['two ? conditions on one path share the joined row', "tags.label ?= 'red' && tags.label ?= 'green'", []],
    ['multi relation id', "tags.id ?= 't3'", ['p4']],
    ['a multi field stands for each of its values', "tags ?~ 't2'", ['p1', 'p4']],
    [':length', 'tags:length = 2', ['p1', 'p4']],
    [':length of none', 'tags:length = 0', ['p3']],
    [':each every', "labels:each = 'a'", ['p2']],
    [':each any', "labels:each ?= 'b'", ['p1', 'p4']],
    ['two multi-valued sides: no values on both is equal (NULL is "")', 'labels:each ?= tags.label', ['p3']],
    [':lower', "title:lower = 'second'", ['p2']],
    ['back relation: every comment', "comments_via_post.message = 'nice'", ['p2']],
    ['back relation: any comment', "comments_via_post.message ?= 'nice'", ['p1', 'p2']],
    ['back relation then relation', "comments_via_post.author.name ?= 'Carol'", ['p1']],
    ['unique back relation is single-valued', "author.profiles_via_user.bio = 'hi'", ['p1']],
    ['json path', 'data.a = 1', ['p1', 'p4']],
    ['nested json path', "data.b.c = 'x'", ['p1']],
    ['json null', 'data = null', ['p3']],
    ['strftime', "strftime('%Y', created) = '2024'", ['p1']],
    ['strftime on a NULL-ish value', "strftime('%Y', created) = ''", ['p3', 'p4']],
    [
      '@collection without alias: one joined row',
      "@collection.comments.post ?= id && @collection.comments.message ?= 'great'",
      ['p1'],
    ],
    [
      '@collection aliases: independent rows',
      "@collection.comments:a.post ?= id && @collection.comments:b.message ?= 'great'",
      ['p1', 'p2'],
    ],
    ['@collection every row', "@collection.tags.label = 'red'", []],
    ['@collection any row', "@collection.tags.label ?= 'blue'", ALL],
    [
      '@collection path',
      "@collection.comments.author.name ?= 'Carol' && @collection.comments.post ?= id",
      ['p1'],
    ],
    ['injection text is only a value', 'title = "\'); DROP TABLE posts; --"', []],
    ['hidden field allowed in rules', "note = 'n1'", ['p1'], { hidden: true }],
    ['visible email', "author.email = 'alice@x.io'", ['p1']],
    ['hidden email does not match', "author.email = 'bob@x.io'", []],
    ['hidden email in rules', "author.email = 'bob@x.io'", ['p2'], { hidden: true }],
  ];
  it.each(scenarios)('%s: %s', (_name, filter, expected, options) => {
    expect(ids(filter, options)).toEqual(expected);
  });
});

describe('@request.*', () => {
  const scenarios: [string, string, Options, string[]][] = [
    ['guest has no id', "@request.auth.id != ''", { auth: null }, []],
    ['user has an id', "@request.auth.id != ''", { auth: u1 }, ALL],
    ['owner', 'author = @request.auth.id', { auth: u1 }, ['p1']],
    [
      'a guest matches empty relations, as in PocketBase',
      'author = @request.auth.id',
      { auth: null },
      ['p3'],
    ],
    ['the usual guard', "@request.auth.id != '' && author = @request.auth.id", { auth: null }, []],
    ['own multi select :each', "@request.auth.roles:each ?= 'admin'", { auth: u1 }, ALL],
    ['own multi select :each (not there)', "@request.auth.roles:each ?= 'admin'", { auth: u2 }, []],
    ['own multi select every', "@request.auth.roles:each = 'viewer'", { auth: u2 }, ALL],
    ['own multi select :length', '@request.auth.roles:length = 2', { auth: u1 }, ALL],
    ['own hidden field', "@request.auth.secret = 's1'", { auth: u1 }, ALL],
    ['own field :lower', "@request.auth.name:lower = 'alice'", { auth: u1 }, ALL],
    [
      'collection name',
      "@request.auth.collectionName = 'users' && @request.auth.collectionId = 'pbc_users'",
      { auth: u1 },
      ALL,
    ],
    ['through the auth record relation', "@request.auth.manager.name = 'Alice'", { auth: u2 }, ALL],
    ['through the auth record relation (none)', "@request.auth.manager.name = 'Alice'", { auth: u1 }, []],
    ['auth back relation', '@request.auth.comments_via_author.post ?= id', { auth: u2 }, ['p1']],
    ['unknown auth field is NULL', '@request.auth.nope = null', { auth: u1 }, ALL],
    [':isset', '@request.body.title:isset = true', { body: { title: 'x' } }, ALL],
    [':isset (missing)', '@request.body.title:isset = true', { body: {} }, []],
    ['body value', 'title = @request.body.title', { body: { title: 'Second' } }, ['p2']],
    ['body number text is a number', 'views = @request.body.views', { body: { views: '5' } }, ['p2']],
    [':changed (same value)', '@request.body.title:changed = false', { body: { title: 'Second' } }, ['p2']],
    [':changed (not submitted)', '@request.body.title:changed = false', { body: {} }, ALL],
    [':changed number', '@request.body.views:changed = true', { body: { views: '5' } }, ['p1', 'p3', 'p4']],
    [':changed multi', '@request.body.labels:changed = false', { body: { labels: ['a'] } }, ['p2']],
    [':changed relation', '@request.body.author:changed = false', { body: { author: 'u1' } }, ['p1']],
    ['body :length', '@request.body.tags:length > 1', { body: { tags: ['t1', 't2'] } }, ALL],
    ['body :each any', "@request.body.labels:each ?= 'c'", { body: { labels: ['a', 'c'] } }, ALL],
    ['body :each every', "@request.body.labels:each = 'c'", { body: { labels: ['a', 'c'] } }, []],
    ['body :lower', "@request.body.title:lower = 'abc'", { body: { title: 'ABC' } }, ALL],
    ['body relation path', "@request.body.author.name = 'Alice'", { body: { author: 'u1' } }, ALL],
    ['body relation path (other)', "@request.body.author.name = 'Alice'", { body: { author: 'u2' } }, []],
    ['body multi relation every', "@request.body.tags.label = 'blue'", { body: { tags: ['t3', 't1'] } }, []],
    ['body multi relation any', "@request.body.tags.label ?= 'blue'", { body: { tags: ['t3', 't1'] } }, ALL],
    ['body key that is no field', "@request.body.extra.deep = 'x'", { body: { extra: { deep: 'x' } } }, ALL],
    ['missing body key is NULL', '@request.body.nothing = null', {}, ALL],
    ['query', "@request.query.q = 'x'", { query: { q: 'x' } }, ALL],
    ['headers', "@request.headers.x_token = 'abc'", { headers: { x_token: 'abc' } }, ALL],
    ['method and context', "@request.method = 'GET' && @request.context = 'default'", {}, ALL],
  ];
  it.each(scenarios)('%s: %s', (_name, filter, options, expected) => {
    expect(ids(filter, options)).toEqual(expected);
  });
});

describe('refused filters', () => {
  const scenarios: [string, Options, RegExp][] = [
    ['nope = 1', {}, /unknown field "nope" in "posts"/],
    ['author.nope = 1', {}, /unknown field "nope" in "users"/],
    ['title.x = 1', {}, /"title" is not a relation/],
    ['@collection.nope.x = 1', {}, /unknown collection "nope"/],
    ['@collection.tags = 1', {}, /@collection needs a collection and a field/],
    ["note = 'n1'", {}, /"note" of "posts" is hidden/],
    ["author.secret = 's1'", {}, /"secret" of "users" is hidden/],
    ["author.password = ''", { hidden: true }, /"password" cannot be filtered/],
    ["author.tokenKey = ''", { hidden: true }, /"tokenKey" cannot be filtered/],
    ["@request.auth.password = ''", { auth: u1 }, /"password" cannot be filtered/],
    ["@request.auth.tokenKey = 'k1'", { auth: u1 }, /"tokenKey" cannot be filtered/],
    ["@request.auth.manager.secret = 's'", { auth: u2 }, /"secret" of "users" is hidden/],
    ['title:length = 1', {}, /:length modifier applies to select, file and relation/],
    ['title:isset = true', {}, /:isset modifier applies to @request.body/],
    ['title:upper = 1', {}, /unknown modifier/],
    ['@request.body.nofield:changed = true', {}, /:changed applies to fields of "posts"/],
    ['@request.nope = 1', {}, /unknown identifier "@request.nope"/],
    ['@nope = 1', {}, /unknown identifier "@nope"/],
    ['author.manager.manager.manager.manager.manager.manager.name = 1', {}, /more than 6 nested relations/],
    [
      "@collection.tags:x.label ?= 'a' && @collection.posts:x.title ?= 'b'",
      {},
      /alias "x" is used for two collections/,
    ],
    ['data.a:lower = 1', {}, /invalid JSON path segment/],
    ['tags_via_nothing.x = 1', {}, /unknown collection "tags_via"|has no relation field/],
  ];
  it.each(scenarios)('%s', (filter, options, message) => {
    const run = (): unknown => ids(filter, options);
    expect(run).toThrow(FilterError);
    expect(run).toThrow(message);
  });
});

describe('rules next to filters, create rules', () => {
  it('a rule and a ?filter= compile into one query without alias clashes', () => {
    const params = new SqlParams();
    const ctx = context({ auth: u2 }, params);
    const rule = compileRecordFilter(
      "@request.auth.id != '' && (author = @request.auth.id || tags.label ?= 'red')",
      ctx,
    );
    const filter = compileRecordFilter("tags.label ?= 'red' && @request.auth.manager.name = 'Alice'", ctx);
    const joins = [...new Set([...rule.joins, ...filter.joins])];
    const sql = `SELECT DISTINCT t.id FROM "posts" AS t ${joins.join(' ')} WHERE ${rule.where} AND ${filter.where} ORDER BY t.id`;
    expect(db.prepare(sql).all(params.values)).toEqual([{ id: 'p1' }, { id: 'p2' }]);
  });

  it('a create rule runs against the submitted values as a one-row table', () => {
    const params = new SqlParams();
    const body = { id: 'new1', title: 'Draft', author: 'u1', tags: JSON.stringify(['t1']) };
    const ctx = context({ auth: u1, body }, params);
    const { where, joins } = compileRecordFilter(
      "author = @request.auth.id && tags.label = 'red' && @request.body.title:changed = false",
      ctx,
    );
    const columns = Object.entries(body).map(([k, v]) => `${params.add(v)} AS ${quoteIdent(k)}`);
    const sql = `SELECT DISTINCT t.id FROM (SELECT ${columns.join(', ')}) AS t ${joins.join(' ')} WHERE ${where}`;
    expect(db.prepare(sql).all(params.values)).toEqual([{ id: 'new1' }]);
  });

  it('a back relation through a unique single relation needs no every-value subquery', () => {
    expect(compileRecordFilter("author.profiles_via_user.bio = 'hi'", context()).where).not.toContain(
      'NOT EXISTS',
    );
    expect(compileRecordFilter("comments_via_post.message = 'hi'", context()).where).toContain('NOT EXISTS');
  });

  it('values never become SQL text', () => {
    const ctx = context({ auth: u1, body: { title: "x'); DROP TABLE posts; --" } });
    const { where } = compileRecordFilter(
      "title = @request.body.title && author.name = 'Robert\"); --'",
      ctx,
    );
    expect(where).not.toContain('DROP');
    expect(where).not.toContain('Robert');
    expect(Object.values(ctx.params.values)).toContain('Robert"); --');
  });
});

describe('any identifier', () => {
  const PARTS = [
    ...['@request', '@collection', 'auth', 'body', 'query', 'headers', 'method', 'context', 'users', 'posts'],
    ...[
      'tags',
      'comments',
      'comments_via_post',
      'profiles_via_user',
      'posts_via_author',
      'author',
      'manager',
    ],
    ...[
      'roles',
      'labels',
      'title',
      'note',
      'secret',
      'password',
      'tokenKey',
      'email',
      'data',
      'id',
      'a',
      '0',
    ],
    ...['each', 'length', 'lower', 'isset', 'changed', 'nope', 'collectionName', 'x'],
  ];
  const randomPath = fc
    .tuple(
      fc.constantFrom(...PARTS),
      fc.array(fc.tuple(fc.constantFrom('.', ':'), fc.constantFrom(...PARTS)), { maxLength: 5 }),
    )
    .map(([first, rest]) => first + rest.map(([sep, part]) => sep + part).join(''));
  const likelyPath = fc
    .tuple(
      fc.constantFrom(
        '',
        '@request.auth.',
        '@request.body.',
        '@collection.posts.',
        '@collection.users:u.',
        'author.',
        'tags.',
      ),
      fc.constantFrom(
        'id',
        'title',
        'name',
        'label',
        'roles',
        'labels',
        'tags',
        'author',
        'manager',
        'data',
        'email',
        'views',
      ),
      fc.constantFrom('', '', '', ':each', ':length', ':lower', ':isset', ':changed', '.a', '.name'),
    )
    .map((parts) => parts.join(''));
  const identifier = fc.oneof(randomPath, likelyPath, likelyPath).filter((id) => /^[A-Za-z_@]/.test(id));
  const request = fc.record({
    auth: fc.constantFrom(null, u1, u2),
    body: fc.constantFrom({}, { title: 'x', tags: ['t1'], author: 'u1', labels: 'a', data: { a: [1] } }),
    hidden: fc.boolean(),
  });

  it('resolves or fails with FilterError, and what resolves runs', () => {
    fc.assert(
      fc.property(
        identifier,
        fc.constantFrom('=', '?=', '!=', '~', '?>'),
        fc.oneof(identifier, fc.constant("'v'")),
        request,
        (left, op, right, o) => {
          let result: string[] | undefined;
          try {
            result = ids(`${left} ${op} ${right}`, o);
          } catch (e) {
            if (!(e instanceof FilterError)) throw e;
          }
          expect(result === undefined || Array.isArray(result)).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('compileRecordSort', () => {
  function sorted(sort: string, o: Options = {}): string[] {
    const ctx = context(o);
    const { orderBy, joins } = compileRecordSort(sort, ctx);
    const sql = `SELECT DISTINCT t.id FROM "posts" AS t ${joins.join(' ')} ORDER BY ${orderBy}, t.id`;
    return db
      .prepare(sql)
      .all(ctx.params.values)
      .map((r) => (r as { id: string }).id);
  }

  it.each([
    ['-views', ['p4', 'p1', 'p2', 'p3']],
    ['views', ['p3', 'p2', 'p1', 'p4']],
    ['+title', ['p1', 'p4', 'p2', 'p3']],
    ['-author.name,title', ['p4', 'p2', 'p1', 'p3']],
    ['@rowid', ['p1', 'p2', 'p3', 'p4']],
    ['-@rowid', ['p4', 'p3', 'p2', 'p1']],
  ])('%s', (sort, expected) => {
    expect(sorted(sort)).toEqual(expected);
  });

  it('@random sorts', () => {
    expect(sorted('@random').sort()).toEqual(ALL);
  });

  it.each([
    ['a,b,c,d,e,f,g,h,i', /more than 8 fields/],
    ['note', /Invalid sort: the field "note" of "posts" is hidden/],
    ['author.password', /Invalid sort: the field "password" cannot be/],
    ['title; DROP TABLE posts', /Invalid sort: "title; DROP TABLE posts" is not a field/],
    ['nope', /Invalid sort: unknown field "nope"/],
  ])('refuses %s', (sort, message) => {
    expect(() => sorted(sort)).toThrow(message);
  });
});

describe('a client filter sees through a relation only what the related list rule shows', () => {
  /** Runs `run` with some collections' list rules replaced, then puts them back. */
  function withRules(rules: [Collection, string | null][], run: () => void): void {
    const before = rules.map(([c]) => c.listRule);
    rules.forEach(([c, rule]) => (c.listRule = rule));
    try {
      run();
    } finally {
      rules.forEach(([c], i) => (c.listRule = before[i]!));
    }
  }
  const mine = 'author = @request.auth.id';

  it('a back-relation reaches only the comments one may list (any and every value)', () => {
    withRules([[comments, mine]], () => {
      // c1 (on p1) is Bob's, c2 (on p1) Carol's, c3 (on p2) Alice's.
      expect(ids("comments_via_post.message ?= 'nice'", { auth: u2 })).toEqual(['p1']);
      expect(ids("comments_via_post.message ?= 'nice'", { auth: u1 })).toEqual(['p2']);
      expect(ids("comments_via_post.message ?= 'great'", { auth: u2 })).toEqual([]);
      // "Every comment" is judged over the visible ones: Carol's 'great' on p1 is not among Bob's.
      expect(ids("comments_via_post.message = 'nice'", { auth: u2 })).toEqual(['p1']);
      expect(ids("comments_via_post.message ?= 'nice'")).toEqual([]); // a guest sees none
      // Rules and superusers (hidden fields allowed) walk every row, as before.
      expect(ids("comments_via_post.message ?= 'nice'", { auth: u2, hidden: true })).toEqual(['p1', 'p2']);
    });
  });

  it('a relation into a locked collection matches nothing; a rule that no longer compiles likewise', () => {
    withRules([[users, null]], () => {
      expect(ids("author.name = 'Bob'", { auth: u2 })).toEqual([]);
      expect(ids("author.name = 'Bob'", { auth: u2, hidden: true })).toEqual(['p2']);
    });
    withRules([[tags, 'nosuchfield = 1']], () => {
      expect(ids("tags.label ?= 'red'", { auth: u1 })).toEqual([]);
    });
  });

  it('each hop is guarded: a visible row does not open the rows behind it', () => {
    // Bob sees his own comment c1, but not the users it leads to unless users show them.
    withRules(
      [
        [comments, ''],
        [users, 'id = @request.auth.id'],
      ],
      () => {
        expect(ids("comments_via_post.author.name ?= 'Carol'", { auth: u2 })).toEqual([]);
        expect(ids("comments_via_post.author.name ?= 'Bob'", { auth: u2 })).toEqual(['p1']);
        // A path through the requester's own record starts visible, and is guarded beyond it.
        expect(ids("@request.auth.manager.name = 'Alice'", { auth: u2 })).toEqual([]);
        expect(ids("@request.auth.name = 'Bob'", { auth: u2 })).toEqual(['p1', 'p2', 'p3', 'p4']);
      },
    );
  });

  it('the rule is compiled once per collection, as a subquery that does not depend on the joined row', () => {
    withRules([[comments, mine]], () => {
      const ctx = context({ auth: u2 });
      const filter = Array.from(
        { length: 4 },
        () => "comments_via_post.post.comments_via_post.message ?= 'x'",
      ).join(' || ');
      const { joins } = compileRecordFilter(filter, ctx);
      const sql = joins.join(' ');
      // One alias for the rule's rows however many hops lead into comments: one compiled rule.
      expect(new Set(sql.match(/__v\d+/g)).size).toBe(1);
      expect(sql).not.toContain('EXISTS');
      expect(ids(filter, { auth: u2 })).toEqual([]);
    });
  });

  it('a sort by a hidden row sorts it as unknown', () => {
    withRules([[users, 'id = @request.auth.id']], () => {
      const ctx = context({ auth: u3Record() });
      const { orderBy, joins } = compileRecordSort('-author.name', ctx);
      const sql = `SELECT DISTINCT t.id FROM "posts" AS t ${joins.join(' ')} ORDER BY ${orderBy}, t.id`;
      const order = db
        .prepare(sql)
        .all(ctx.params.values)
        .map((r) => (r as { id: string }).id);
      // Only Carol's own name is known to her: her post first, the rest by id.
      expect(order).toEqual(['p4', 'p1', 'p2', 'p3']);
    });
  });
});

function u3Record(): Record<string, unknown> {
  return { id: 'u3', email: 'carol@x.io', name: 'Carol', roles: '[]', manager: 'u1' };
}
