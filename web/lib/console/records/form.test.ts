import type { CollectionField, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  buildPayload,
  initialDraft,
  initialDrafts,
  jsonProblem,
  PASSWORD_CONFIRM,
  unsendableFields,
  type Draft,
} from './form';

const savedTz = process.env['TZ'];
beforeAll(() => {
  process.env['TZ'] = 'UTC';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env['TZ'];
  else process.env['TZ'] = savedTz;
});

const f = (name: string, type: string, extra: Record<string, unknown> = {}): CollectionField => ({
  id: name,
  name,
  type,
  system: false,
  hidden: false,
  presentable: false,
  ...extra,
});

const fields = [
  f('id', 'text', { autogeneratePattern: '[a-z0-9]{15}' }),
  f('title', 'text'),
  f('n', 'number'),
  f('done', 'bool'),
  f('due', 'date'),
  f('meta', 'json'),
  f('tag', 'select', { maxSelect: 1, values: ['a', 'b'] }),
  f('tags', 'select', { maxSelect: 3, values: ['a', 'b'] }),
  f('owner', 'relation', { maxSelect: 1 }),
  f('friends', 'relation', { maxSelect: 5 }),
  f('docs', 'file', { maxSelect: 3 }),
  f('created', 'autodate'),
];
const base = { type: 'base' as const, fields };

const record: RecordModel = {
  id: 'abc',
  collectionId: 'c',
  collectionName: 'things',
  title: 'Hi',
  n: 0,
  done: true,
  due: '2024-01-02 03:04:05.678Z',
  meta: { a: 1 },
  tag: 'b',
  tags: ['a'],
  owner: 'u1',
  friends: ['u2', 'u3'],
  docs: ['x.png'],
  created: '2024-01-01 00:00:00.000Z',
};

describe('drafts', () => {
  test('a new record starts blank', () => {
    expect(initialDrafts(fields, null, false)).toEqual({
      id: '',
      title: '',
      n: '',
      done: false,
      due: '',
      meta: '',
      tag: '',
      tags: [],
      owner: [],
      friends: [],
      docs: '',
      created: '',
    });
  });

  test('an existing record fills the inputs', () => {
    const drafts = initialDrafts(fields, record, true);
    expect(drafts).toMatchObject({
      id: 'abc',
      n: '0',
      done: true,
      due: '2024-01-02T03:04:05',
      meta: '{\n  "a": 1\n}',
      tag: 'b',
      tags: ['a'],
      owner: ['u1'],
      friends: ['u2', 'u3'],
      [PASSWORD_CONFIRM]: '',
    });
  });

  test('a password input always starts empty', () => {
    expect(initialDraft(f('password', 'password'), { ...record, password: 'x' })).toBe('');
  });
});

describe('buildPayload', () => {
  test('a create sends the values filled in, typed, and no generated or file fields', () => {
    const drafts = {
      ...initialDrafts(fields, null, false),
      title: 'New',
      n: '4.5',
      done: true,
      due: '2024-05-06T07:08',
      meta: '[1, "two"]',
      tag: 'a',
      tags: ['a', 'b'],
      owner: ['u9'],
      friends: ['u1', 'u2'],
    };
    expect(buildPayload(base, drafts, null)).toEqual({
      title: 'New',
      n: 4.5,
      done: true,
      due: '2024-05-06 07:08:00.000Z',
      meta: [1, 'two'],
      tag: 'a',
      tags: ['a', 'b'],
      owner: 'u9',
      friends: ['u1', 'u2'],
    });
    expect(buildPayload(base, initialDrafts(fields, null, false), null)).toEqual({});
  });

  test('a given id is sent on create only', () => {
    const drafts = { ...initialDrafts(fields, null, false), id: ' myid ' };
    expect(buildPayload(base, drafts, null)['id']).toBe('myid');
    expect(buildPayload(base, initialDrafts(fields, record, false), record)).not.toHaveProperty('id');
  });

  // Regression: saving a name put back `verified: false` on a user verified elsewhere meanwhile.
  test('an update sends only the fields edited, so changes made elsewhere are kept', () => {
    const auth = {
      type: 'auth' as const,
      fields: [f('email', 'email'), f('name', 'text'), f('verified', 'bool'), f('password', 'password')],
    };
    const user: RecordModel = {
      id: 'u1',
      collectionId: 'c',
      collectionName: 'users',
      email: 'a@b.c',
      name: 'Al',
      verified: false,
    };
    const drafts = { ...initialDrafts(auth.fields, user, true), name: 'Alice' };
    expect(buildPayload(auth, drafts, user)).toEqual({ name: 'Alice' });
    expect(buildPayload(base, initialDrafts(fields, record, false), record)).toEqual({});
  });

  test.each([
    ['title', 'Bye', 'Bye'],
    ['n', '', null],
    ['n', '7', 7],
    ['done', false, false],
    ['due', '', ''],
    ['due', '2024-01-02T03:04:06', '2024-01-02 03:04:06.000Z'],
    ['meta', '  ', null],
    ['tag', '', ''],
    ['tags', ['a', 'b'], ['a', 'b']],
    ['owner', [], ''],
    ['friends', ['u3', 'u2'], ['u3', 'u2']],
  ] satisfies [string, Draft, unknown][])('%s edited to %j is sent', (name, draft, sent) => {
    const drafts = { ...initialDrafts(fields, record, false), [name]: draft };
    expect(buildPayload(base, drafts, record)).toEqual({ [name]: sent });
  });

  test('an unchanged date is not sent, so the milliseconds the input cannot show are kept', () => {
    const drafts = initialDrafts(fields, record, false);
    expect(drafts['due']).toBe('2024-01-02T03:04:05');
    expect(buildPayload(base, drafts, record)).not.toHaveProperty('due');
  });

  test('removed files use the field- modifier', () => {
    const body = buildPayload(base, initialDrafts(fields, record, false), record, {
      docs: ['x.png'],
      other: [],
    });
    expect(body).toEqual({ 'docs-': ['x.png'] });
  });

  test('an auth password goes with its confirmation, and only when typed', () => {
    const auth = {
      type: 'auth' as const,
      fields: [f('email', 'email'), f('password', 'password'), f('tokenKey', 'text'), f('verified', 'bool')],
    };
    const drafts = initialDrafts(auth.fields, null, true);
    expect(buildPayload(auth, { ...drafts, email: 'a@b.c', tokenKey: 'x', verified: true }, null)).toEqual({
      email: 'a@b.c',
      verified: true,
    });
    expect(
      buildPayload(auth, { ...drafts, password: 'secret123', [PASSWORD_CONFIRM]: 'secret124' }, null),
    ).toEqual({
      password: 'secret123',
      passwordConfirm: 'secret124',
    });
    const user: RecordModel = { id: 'u1', collectionId: 'c', collectionName: 'users', email: 'a@b.c' };
    const kept = { ...initialDrafts(auth.fields, user, true), [PASSWORD_CONFIRM]: 'stray' };
    expect(buildPayload(auth, kept, user)).toEqual({});
  });

  test('a JSON draft that does not parse throws', () => {
    expect(() => buildPayload(base, { ...initialDrafts(fields, null, false), meta: '{' }, null)).toThrow(
      SyntaxError,
    );
  });

  // Regression: "1e" in a number input reached the payload as NaN, which JSON sends as null.
  test.each(['1e', '-', 'abc', 'Infinity'])('a number draft %j throws rather than sending null', (n) => {
    expect(() => buildPayload(base, { ...initialDrafts(fields, record, false), n }, record)).toThrow(
      RangeError,
    );
  });
});

describe('unsendableFields', () => {
  test('names JSON that does not parse and numbers that are not numbers', () => {
    const drafts = initialDrafts(fields, record, false);
    expect(unsendableFields(fields, drafts)).toEqual([]);
    expect(unsendableFields(fields, { ...drafts, n: '', meta: '' })).toEqual([]);
    expect(unsendableFields(fields, { ...drafts, n: '1e', meta: '{' })).toEqual(['n', 'meta']);
  });

  // Regression: an input holding "1e" reports '' and was saved as null, clearing the number.
  test('names inputs the browser could not read, whatever their draft', () => {
    const drafts = initialDrafts(fields, record, false);
    expect(unsendableFields(fields, drafts, { n: true, title: false })).toEqual(['n']);
  });
});

describe('jsonProblem', () => {
  test.each([
    ['', null],
    ['  ', null],
    ['{"a": 1}', null],
    ['"text"', null],
    ['null', null],
  ])('%j is fine', (text, problem) => {
    expect(jsonProblem(text)).toBe(problem);
  });

  test.each(['{', '{a: 1}', "'x'", '[1,]'])('%j is not JSON', (text) => {
    expect(jsonProblem(text)).toEqual(expect.any(String));
  });
});
