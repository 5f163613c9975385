import { describe, expect } from 'vitest';
import type { Hearth } from '../main';
import { createRecord } from '../records/records.service';
import { superuserHeaders, SUPERUSER_REQUEST, withSuperuser } from '../testing/hearth';
import { testScenarios } from '../testing/scenario';
import { saveCollection } from './collections.service';

/**
 * Collection changes that must keep the database consistent: the table, `_collections` and the views
 * over them change together or not at all. (The SDK suite in tests/sdk covers the everyday paths.)
 */
async function fixture(h: Hearth): Promise<void> {
  await withSuperuser(h);
  saveCollection(h, { name: 'authors', fields: [{ name: 'name', type: 'text' }] });
  saveCollection(h, {
    name: 'books',
    fields: [
      { name: 'title', type: 'text' },
      { name: 'author', type: 'relation', collectionId: 'authors', maxSelect: 1 },
    ],
  });
  saveCollection(h, { name: 'shelf', type: 'view', viewQuery: 'SELECT id, title FROM books', listRule: '' });
  await createRecord(
    h,
    h.collections.find('books')!,
    { id: 'book00000000001', title: 'Kept' },
    SUPERUSER_REQUEST,
  );
}

const count = (h: Hearth, table: string) =>
  h.db.sql.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
const tables = (h: Hearth) =>
  h.db.sql
    .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
    .pluck()
    .all() as string[];
const books = (h: Hearth) => h.collections.find('books')!;

describe('collections: consistency of tables, definitions and views', () => {
  testScenarios(
    [
      {
        name: 'an index carrying a second statement → 400, nothing dropped',
        method: 'POST',
        url: '/api/collections',
        headers: superuserHeaders,
        body: {
          name: 'ix',
          fields: [{ name: 't', type: 'text' }],
          indexes: ['CREATE INDEX idx_ix ON ix (t) WHERE 1; DROP TABLE users'],
        },
        expectedStatus: 400,
        expectedContent: ['"indexes":{"0":{"code":"validation_invalid_index_expression"'],
        after: (h) => {
          expect(tables(h)).toContain('users');
          expect(tables(h)).not.toContain('ix');
          expect(h.collections.find('ix')).toBeUndefined();
        },
      },
      {
        name: 'a view whose rule names its own fields',
        method: 'POST',
        url: '/api/collections',
        headers: superuserHeaders,
        body: {
          name: 'titles',
          type: 'view',
          viewQuery: 'SELECT id, title FROM books',
          listRule: 'title != ""',
        },
        expectedStatus: 200,
        expectedContent: ['"listRule":"title != \\"\\""', '"name":"title"'],
        expectedEvents: { CollectionSave: 1, '*': 0 },
      },
      {
        name: 'a view may not select password hashes',
        method: 'POST',
        url: '/api/collections',
        headers: superuserHeaders,
        body: { name: 'leak', type: 'view', viewQuery: 'SELECT id, password FROM users', listRule: '' },
        expectedStatus: 400,
        expectedContent: ['"viewQuery":{"code":"validation_invalid_view_query"'],
        after: (h) => expect(tables(h)).not.toContain('leak'),
      },
      {
        name: 'a view selecting a column twice → 400',
        method: 'POST',
        url: '/api/collections',
        headers: superuserHeaders,
        body: { name: 'twice', type: 'view', viewQuery: 'SELECT id, title, title FROM books' },
        expectedStatus: 400,
      },
      {
        name: 'removing a field a view reads → 400, field and rows kept',
        method: 'PATCH',
        url: '/api/collections/books',
        headers: superuserHeaders,
        body: {
          fields: [
            { name: 'id', type: 'text' },
            { name: 'author', type: 'relation', collectionId: 'authors', maxSelect: 1 },
          ],
        },
        expectedStatus: 400,
        expectedContent: ['shelf'],
        after: (h) => {
          expect(books(h).fields.map((f) => f.name)).toContain('title');
          expect(count(h, 'shelf')).toBe(1);
        },
      },
      {
        name: 'renaming a table a view reads keeps the view working and its stored query current',
        method: 'PATCH',
        url: '/api/collections/books',
        headers: superuserHeaders,
        body: { name: 'novels' },
        expectedStatus: 200,
        expectedEvents: { CollectionSave: 1, '*': 0 },
        after: (h) => {
          expect(count(h, 'shelf')).toBe(1);
          expect(h.collections.find('shelf')!.viewQuery).toContain('novels');
        },
      },
      {
        name: 'deleting a table a view reads → 400, both kept',
        method: 'DELETE',
        url: '/api/collections/books',
        headers: superuserHeaders,
        expectedStatus: 400,
        expectedContent: ['shelf'],
        after: (h) => {
          expect(count(h, 'books')).toBe(1);
          expect(h.collections.find('books')).toBeDefined();
        },
      },
      {
        name: 'a view sorts by @rowid without a rowid (by id), not a 500',
        method: 'GET',
        url: '/api/collections/shelf/records?sort=-@rowid',
        expectedStatus: 200,
        expectedContent: ['"totalItems":1', '"title":"Kept"'],
      },
      {
        name: 'a collection named like an existing index → 400, not 500',
        method: 'POST',
        url: '/api/collections',
        headers: superuserHeaders,
        body: { name: 'idx__collections_name' },
        expectedStatus: 400,
      },
      {
        name: 'import with deleteMissing that would leave a dangling relation → 400, nothing changed',
        method: 'PUT',
        url: '/api/collections/import',
        headers: superuserHeaders,
        body: (() => ({
          deleteMissing: true,
          collections: [
            {
              name: 'books',
              fields: [
                { name: 'title', type: 'text' },
                { name: 'author', type: 'relation', collectionId: 'authors', maxSelect: 1 },
              ],
            },
            { name: 'users', type: 'auth' },
            { name: '_superusers', type: 'auth' },
          ],
        }))(),
        expectedStatus: 400,
        after: (h) => {
          expect(h.collections.find('authors')).toBeDefined();
          expect(tables(h)).toContain('authors');
          expect(h.collections.find('shelf')).toBeDefined();
        },
      },
    ],
    fixture,
  );
});
