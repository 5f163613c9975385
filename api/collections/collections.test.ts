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

describe('auth options: MFA refused, OTP length and duration bounded', () => {
  const users = (h: Hearth) => h.collections.find('users')!.auth!;
  const MFA_REFUSED =
    '"mfa":{"enabled":{"code":"validation_not_supported","message":"Multi-factor authentication is not supported yet."}}';
  const patchUsers = (body: unknown) => ({
    method: 'PATCH',
    url: '/api/collections/users',
    headers: superuserHeaders,
    body,
  });
  testScenarios(
    [
      {
        name: 'a new auth collection with MFA on → 400 under mfa.enabled, not created',
        method: 'POST',
        url: '/api/collections',
        headers: superuserHeaders,
        body: { name: 'staff', type: 'auth', mfa: { enabled: true, duration: 1800 } },
        expectedStatus: 400,
        expectedContent: ['"message":"Failed to create collection."', MFA_REFUSED],
        after: (h) => {
          expect(h.collections.find('staff')).toBeUndefined();
          expect(tables(h)).not.toContain('staff');
        },
      },
      {
        name: 'turning MFA on for users → 400, still off',
        ...patchUsers({ mfa: { enabled: true } }),
        expectedStatus: 400,
        expectedContent: [MFA_REFUSED],
        after: (h) => expect(users(h).mfa.enabled).toBe(false),
      },
      {
        name: 'an import from PocketBase with MFA on → 400, nothing imported',
        method: 'PUT',
        url: '/api/collections/import',
        headers: superuserHeaders,
        body: {
          collections: [
            {
              name: 'pb_members',
              type: 'auth',
              passwordAuth: { enabled: true, identityFields: ['email'] },
              otp: { enabled: true, duration: 180, length: 8 },
              mfa: { enabled: true, duration: 1800, rule: '' },
            },
          ],
        },
        expectedStatus: 400,
        expectedContent: ['validation_not_supported'],
        after: (h) => expect(h.collections.find('pb_members')).toBeUndefined(),
      },
      {
        name: 'MFA off with other values is fine',
        ...patchUsers({ mfa: { enabled: false, duration: 600, rule: '' } }),
        expectedStatus: 200,
        expectedEvents: { CollectionSave: 1, '*': 0 },
        after: (h) => expect(users(h).mfa).toEqual({ enabled: false, duration: 600, rule: '' }),
      },
      {
        name: 'OTP on with 4 digits → 400 under otp.length, still off',
        ...patchUsers({ otp: { enabled: true, duration: 180, length: 4 } }),
        expectedStatus: 400,
        expectedContent: [
          '"otp":{"length":{"code":"validation_min_greater_equal_than_required","message":"Must be no less than 6."}}',
        ],
        after: (h) => expect(users(h).otp).toEqual({ enabled: false, duration: 180, length: 8 }),
      },
      {
        name: 'OTP on with 33 digits → 400 under otp.length',
        ...patchUsers({ otp: { enabled: true, length: 33 } }),
        expectedStatus: 400,
        expectedContent: ['"length":{"code":"validation_max_less_equal_than_required"'],
      },
      {
        name: 'OTP on with 7.5 digits → 400 under otp.length',
        ...patchUsers({ otp: { enabled: true, length: 7.5 } }),
        expectedStatus: 400,
        expectedContent: ['"length":{"code":"validation_invalid_value"'],
      },
      {
        name: 'OTP on, valid for 5 s → 400 under otp.duration',
        ...patchUsers({ otp: { enabled: true, duration: 5 } }),
        expectedStatus: 400,
        expectedContent: [
          '"otp":{"duration":{"code":"validation_min_greater_equal_than_required","message":"Must be no less than 10."}}',
        ],
      },
      {
        name: 'OTP on, valid for more than a day → 400 under otp.duration (PocketBase’s bound)',
        ...patchUsers({ otp: { enabled: true, duration: 86_401 } }),
        expectedStatus: 400,
        expectedContent: ['"duration":{"code":"validation_max_less_equal_than_required"'],
      },
      {
        name: 'OTP on at the bounds (6 digits for 10 s) is accepted',
        ...patchUsers({ otp: { enabled: true, duration: 10, length: 6 } }),
        expectedStatus: 200,
        expectedEvents: { CollectionSave: 1, '*': 0 },
        after: (h) => expect(users(h).otp).toEqual({ enabled: true, duration: 10, length: 6 }),
      },
      {
        name: 'OTP on with 32 digits for a day is accepted',
        ...patchUsers({ otp: { enabled: true, duration: 86_400, length: 32 } }),
        expectedStatus: 200,
        expectedEvents: { CollectionSave: 1, '*': 0 },
      },
      {
        name: 'as in PocketBase, OTP off is not checked; turning it on later with the short length is',
        before: (h) => {
          saveCollection(
            h,
            { name: 'users', otp: { enabled: false, duration: 0, length: 4 } },
            h.collections.find('users'),
          );
        },
        ...patchUsers({ otp: { enabled: true } }),
        expectedStatus: 400,
        expectedContent: [
          '"otp":{"length":',
          '"duration":{"code":"validation_min_greater_equal_than_required"',
        ],
        after: (h) => expect(users(h).otp.enabled).toBe(false),
      },
    ],
    async (h) => {
      await withSuperuser(h);
    },
  );
});
