import type { CollectionField, RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildPayload, initialDraft, initialDrafts, jsonProblem, PASSWORD_CONFIRM } from './form';

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
  test('a create sends every value, typed, and no generated or file fields', () => {
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
  });

  test('a given id is sent on create only', () => {
    const drafts = { ...initialDrafts(fields, null, false), id: ' myid ' };
    expect(buildPayload(base, drafts, null)['id']).toBe('myid');
    expect(buildPayload(base, initialDrafts(fields, record, false), record)).not.toHaveProperty('id');
  });

  test('blank number and JSON send null; an unchanged date keeps its milliseconds', () => {
    const drafts = { ...initialDrafts(fields, record, false), n: '', meta: '  ' };
    const body = buildPayload(base, drafts, record);
    expect(body).toMatchObject({ n: null, meta: null, due: '2024-01-02 03:04:05.678Z' });
    expect(buildPayload(base, { ...drafts, due: '' }, record)['due']).toBe('');
    expect(buildPayload(base, { ...drafts, due: '2024-01-02T03:04:06' }, record)['due']).toBe(
      '2024-01-02 03:04:06.000Z',
    );
  });

  test('removed files use the field- modifier', () => {
    const body = buildPayload(base, initialDrafts(fields, record, false), record, {
      docs: ['x.png'],
      other: [],
    });
    expect(body['docs-']).toEqual(['x.png']);
    expect(body).not.toHaveProperty('other-');
    expect(body).not.toHaveProperty('docs');
  });

  test('an auth password goes with its confirmation, and only when typed', () => {
    const auth = {
      type: 'auth' as const,
      fields: [f('email', 'email'), f('password', 'password'), f('tokenKey', 'text'), f('verified', 'bool')],
    };
    const drafts = initialDrafts(auth.fields, null, true);
    expect(buildPayload(auth, { ...drafts, email: 'a@b.c', tokenKey: 'x' }, null)).toEqual({
      email: 'a@b.c',
      verified: false,
    });
    expect(
      buildPayload(auth, { ...drafts, password: 'secret123', [PASSWORD_CONFIRM]: 'secret124' }, null),
    ).toMatchObject({
      password: 'secret123',
      passwordConfirm: 'secret124',
    });
  });

  test('a JSON draft that does not parse throws', () => {
    expect(() => buildPayload(base, { ...initialDrafts(fields, null, false), meta: '{' }, null)).toThrow(
      SyntaxError,
    );
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
