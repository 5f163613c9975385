import type { CollectionField, CollectionModel } from 'pocketbase';
import { describe, expect, test } from 'vitest';
import { displayFields, formFields, gridFields, isMultiple, recordLabel, searchableFields } from './fields';

const f = (name: string, type: string, extra: Record<string, unknown> = {}): CollectionField => ({
  id: name,
  name,
  type,
  system: false,
  hidden: false,
  presentable: false,
  ...extra,
});

const collection = (type: 'base' | 'auth' | 'view', fields: CollectionField[]) =>
  ({ id: 'c1', name: 'things', type, fields }) as unknown as CollectionModel;

const users = collection('auth', [
  f('id', 'text'),
  f('password', 'password'),
  f('tokenKey', 'text', { hidden: true }),
  f('email', 'email'),
  f('verified', 'bool'),
  f('name', 'text'),
]);
const posts = collection('base', [
  f('id', 'text'),
  f('title', 'text'),
  f('body', 'editor'),
  f('link', 'url'),
  f('n', 'number'),
  f('tags', 'select', { maxSelect: 3 }),
]);

test('isMultiple follows maxSelect for lists only', () => {
  expect(isMultiple(f('a', 'select', { maxSelect: 2 }))).toBe(true);
  expect(isMultiple(f('a', 'relation', { maxSelect: 1 }))).toBe(false);
  expect(isMultiple(f('a', 'file', { maxSelect: 0 }))).toBe(false);
  expect(isMultiple(f('a', 'text', { maxSelect: 5 }))).toBe(false);
});

describe('which fields go where', () => {
  test('the grid never shows passwords or token keys', () => {
    expect(gridFields(users).map((x) => x.name)).toEqual(['id', 'email', 'verified', 'name']);
  });

  test('forms keep the password but not the token key', () => {
    expect(formFields(users).map((x) => x.name)).toEqual(['id', 'password', 'email', 'verified', 'name']);
  });

  test('searches look in the id and short text fields', () => {
    expect(searchableFields(posts)).toEqual(['id', 'title', 'link']);
    expect(searchableFields(users)).toEqual(['id', 'email', 'name']);
  });

  test('presentable fields name a record, else the first text fields', () => {
    expect(displayFields(posts)).toEqual(['title', 'link']);
    const marked = collection('base', [
      f('id', 'text'),
      f('title', 'text'),
      f('code', 'number', { presentable: true }),
    ]);
    expect(displayFields(marked)).toEqual(['code']);
  });
});

describe('recordLabel', () => {
  test.each([
    [users, { id: 'u1', email: 'a@b.c', name: 'Ann' }, 'a@b.c'],
    [users, { id: 'u1', email: '', name: 'Ann' }, 'Ann (u1)'],
    [posts, { id: 'p1', title: 'Hello', link: '' }, 'Hello (p1)'],
    [posts, { id: 'p1', title: '', link: '' }, 'p1'],
    [null, { id: 'p1' }, 'p1'],
  ])('%#: %j', (c, record, label) => {
    expect(recordLabel(c, record)).toBe(label);
  });
});
