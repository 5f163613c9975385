import { describe, expect } from 'vitest';
import { superuserHeaders } from '../testing/hearth';
import { testScenarios, type Scenario } from '../testing/scenario';
import { ALICE, alice, BOB, count, fixture } from './records.fixture';

/**
 * The edges of the records API as scenario tables (the SDK suite in tests/sdk covers conformance):
 * rules for guests, users and superusers, paging, bad and hostile list parameters, cascades.
 */

const HOSTILE = [
  `' OR 1=1 --`,
  `"; DROP TABLE posts; --`,
  `title = "x") UNION SELECT * FROM _superusers --`,
  '\u0000',
  '%27%20OR%201=1',
];

describe('records: rules, paging and list parameters', () => {
  const scenarios: Scenario[] = [
    {
      name: 'unknown collection → 404',
      method: 'GET',
      url: '/api/collections/nope/records',
      expectedStatus: 404,
      expectedContent: ['Missing collection context.'],
    },
    {
      name: 'guest sees only published posts, hidden fields never shown',
      method: 'GET',
      url: '/api/collections/posts/records?sort=title',
      expectedStatus: 200,
      expectedContent: [
        '"totalItems":2',
        '"id":"post00000000003"',
        '"id":"post00000000001"',
        '"collectionName":"posts"',
      ],
      notExpectedContent: ['post00000000002', 's3cret'],
    },
    {
      name: 'a user sees published posts and their own drafts',
      method: 'GET',
      url: '/api/collections/posts/records',
      headers: alice,
      expectedStatus: 200,
      expectedContent: ['"totalItems":3', 'post00000000002'],
    },
    {
      name: 'superusers bypass the list rule',
      method: 'GET',
      url: '/api/collections/posts/records?perPage=1&page=3',
      headers: superuserHeaders,
      expectedStatus: 200,
      expectedContent: ['"page":3', '"perPage":1', '"totalItems":3', '"totalPages":3', 'post00000000003'],
    },
    {
      name: 'skipTotal answers -1 totals',
      method: 'GET',
      url: '/api/collections/posts/records?skipTotal=1',
      expectedStatus: 200,
      expectedContent: ['"totalItems":-1', '"totalPages":-1'],
    },
    {
      name: 'perPage that is not a number → 400',
      method: 'GET',
      url: '/api/collections/posts/records?perPage=abc',
      expectedStatus: 400,
      expectedContent: ['perPage'],
    },
    {
      name: 'perPage above 1000 is capped, page 0 is page 1',
      method: 'GET',
      url: '/api/collections/posts/records?perPage=5000&page=0',
      expectedStatus: 200,
      expectedContent: ['"perPage":1000', '"page":1'],
    },
    {
      name: 'sort descending by a number',
      method: 'GET',
      url: '/api/collections/posts/records?sort=-views&fields=id',
      headers: superuserHeaders,
      expectedStatus: 200,
      expectedContent: [
        '"items":[{"id":"post00000000001"},{"id":"post00000000003"},{"id":"post00000000002"}]',
      ],
    },
    {
      name: 'filter on a hidden field by a guest → 400 naming it',
      method: 'GET',
      url: `/api/collections/posts/records?filter=${encodeURIComponent('secret = "s3cret"')}`,
      expectedStatus: 400,
      expectedContent: ['secret'],
    },
    {
      name: 'filter on a hidden field by a superuser works',
      method: 'GET',
      url: `/api/collections/posts/records?filter=${encodeURIComponent('secret = "s3cret"')}`,
      headers: superuserHeaders,
      expectedStatus: 200,
      expectedContent: ['"totalItems":3'],
    },
    {
      name: 'filter on an unknown field → 400 naming it',
      method: 'GET',
      url: `/api/collections/posts/records?filter=${encodeURIComponent('nosuchfield = 1')}`,
      expectedStatus: 400,
      expectedContent: ['nosuchfield'],
    },
    {
      name: 'a 10 000-character filter → 400',
      method: 'GET',
      url: `/api/collections/posts/records?filter=${encodeURIComponent(`title = "${'x'.repeat(10000)}"`)}`,
      expectedStatus: 400,
      expectedContent: ['"status":400'],
    },
    {
      name: 'a 300-deep nested filter → 400',
      method: 'GET',
      url: `/api/collections/posts/records?filter=${encodeURIComponent(`${'('.repeat(300)}title = "x"${')'.repeat(300)}`)}`,
      expectedStatus: 400,
      expectedContent: ['"status":400'],
    },
    ...HOSTILE.flatMap((evil): Scenario[] =>
      ['filter', 'sort', 'fields', 'expand'].map((param) => ({
        name: `hostile ${param} ${JSON.stringify(evil)} → 4xx or a plain answer, never 500, nothing changed`,
        method: 'GET',
        url: `/api/collections/posts/records?${param}=${encodeURIComponent(evil)}`,
        expectedStatus: 400,
        notExpectedContent: ['password', 'tokenKey'],
        after: (h) => {
          expect(count(h, 'posts')).toBe(3);
          expect(count(h, '_superusers')).toBe(1);
        },
      })),
    ),
    ...HOSTILE.map((evil): Scenario => ({
      name: `hostile record id ${JSON.stringify(evil)} → 404`,
      method: 'GET',
      url: `/api/collections/posts/records/${encodeURIComponent(evil)}`,
      expectedStatus: 404,
    })),
    {
      name: 'hostile filter value stays a value',
      method: 'GET',
      url: `/api/collections/posts/records?filter=${encodeURIComponent(`title = "x\\" || 1=1 || \\""`)}`,
      expectedStatus: 200,
      expectedContent: ['"totalItems":0'],
    },
    {
      name: 'fields with excerpt strips markup and shortens',
      method: 'GET',
      url: '/api/collections/posts/records/post00000000001?fields=id,title:excerpt(11,true)',
      expectedStatus: 200,
      expectedContent: ['{"id":"post00000000001","title":"Hello world..."}'],
    },
    {
      name: 'back-relation expand',
      method: 'GET',
      url: '/api/collections/posts/records/post00000000001?expand=comments_via_post',
      expectedStatus: 200,
      expectedContent: ['"expand":{"comments_via_post":[{', '"message":"first!"'],
    },
    {
      name: 'a back-relation through a uniquely indexed single relation expands to one record',
      method: 'GET',
      url: `/api/collections/users/records/${ALICE}?expand=profiles_via_user`,
      headers: alice,
      expectedStatus: 200,
      expectedContent: ['"expand":{"profiles_via_user":{', '"bio":"hi"'],
    },
    {
      name: 'expand through the users view rule: a guest gets no author',
      method: 'GET',
      url: '/api/collections/posts/records/post00000000001?expand=author',
      expectedStatus: 200,
      notExpectedContent: ['"expand"'],
    },
    {
      name: 'expand through the users view rule: the author sees themself',
      method: 'GET',
      url: '/api/collections/posts/records/post00000000001?expand=author',
      headers: alice,
      expectedStatus: 200,
      expectedContent: ['"expand":{"author":{', '"email":"alice@example.com"'],
    },
  ];
  testScenarios(scenarios, fixture);
});

describe('records: writes through rules', () => {
  testScenarios(
    [
      {
        name: 'view a draft as a guest → 404',
        method: 'GET',
        url: '/api/collections/posts/records/post00000000002',
        expectedStatus: 404,
      },
      {
        name: 'create as a guest → 400 (create rule), nothing written',
        method: 'POST',
        url: '/api/collections/posts/records',
        body: { title: 'x', status: 'draft', author: ALICE },
        expectedStatus: 400,
        after: (h) => expect(count(h, 'posts')).toBe(3),
      },
      {
        name: 'create as alice for bob → 400, nothing written',
        method: 'POST',
        url: '/api/collections/posts/records',
        headers: alice,
        body: { title: 'x', status: 'draft', author: BOB },
        expectedStatus: 400,
        after: (h) => expect(count(h, 'posts')).toBe(3),
      },
      {
        name: 'create as alice for herself → 200, one event',
        method: 'POST',
        url: '/api/collections/posts/records',
        headers: alice,
        body: { title: 'mine', status: 'draft', author: ALICE, tags: ['c'] },
        expectedStatus: 200,
        expectedContent: ['"title":"mine"', '"tags":["c"]', '"views":0'],
        expectedEvents: { RecordCreate: 1, '*': 0 },
        after: (h) => expect(count(h, 'posts')).toBe(4),
      },
      {
        name: 'validation errors use PocketBase codes',
        method: 'POST',
        url: '/api/collections/posts/records',
        headers: superuserHeaders,
        body: { title: '', status: 'nope', author: 'missing00000000', tags: ['a', 'z'] },
        expectedStatus: 400,
        expectedContent: [
          '"title":{"code":"validation_required"',
          '"status":{"code":"validation_invalid_value"',
          '"tags":{"code":"validation_invalid_value"',
        ],
      },
      {
        name: 'a relation to a missing record → 400 validation_missing_rel_records',
        method: 'POST',
        url: '/api/collections/posts/records',
        headers: superuserHeaders,
        body: { title: 'x', author: 'missing00000000' },
        expectedStatus: 400,
        expectedContent: ['"author":{"code":"validation_missing_rel_records"'],
      },
      {
        name: "update someone else's post → 404",
        method: 'PATCH',
        url: '/api/collections/posts/records/post00000000003',
        headers: alice,
        body: { title: 'taken' },
        expectedStatus: 404,
      },
      {
        name: 'modifiers add to numbers and lists',
        method: 'PATCH',
        url: '/api/collections/posts/records/post00000000001',
        headers: alice,
        body: { 'views+': 5, 'tags-': ['a'], 'tags+': 'c' },
        expectedStatus: 200,
        expectedContent: ['"views":15', '"tags":["b","c"]'],
        expectedEvents: { RecordUpdate: 1, '*': 0 },
      },
      {
        name: 'prepend modifier',
        method: 'PATCH',
        url: '/api/collections/posts/records/post00000000001',
        headers: superuserHeaders,
        body: { '+tags': ['c'] },
        expectedStatus: 200,
        expectedContent: ['"tags":["c","a","b"]'],
        expectedEvents: { RecordUpdate: 1, '*': 0 },
      },
      {
        name: 'delete with a locked rule as a user → 403',
        method: 'DELETE',
        url: '/api/collections/posts/records/post00000000001',
        headers: alice,
        expectedStatus: 403,
        after: (h) => expect(count(h, 'posts')).toBe(3),
      },
      {
        name: 'delete as superuser cascades to comments',
        method: 'DELETE',
        url: '/api/collections/posts/records/post00000000001',
        headers: superuserHeaders,
        expectedStatus: 204,
        expectedEvents: { RecordDelete: 2, '*': 0 },
        after: (h) => {
          expect(count(h, 'posts')).toBe(2);
          expect(count(h, 'comments')).toBe(0);
        },
      },
      {
        name: 'a user may see and edit only their own users record',
        method: 'GET',
        url: '/api/collections/users/records',
        headers: alice,
        expectedStatus: 200,
        expectedContent: ['"totalItems":1', ALICE],
        notExpectedContent: [BOB, 'password', 'tokenKey'],
      },
      {
        name: 'anyone may sign up',
        method: 'POST',
        url: '/api/collections/users/records',
        body: { email: 'new@example.com', password: 'new-password', passwordConfirm: 'new-password' },
        expectedStatus: 200,
        // The guest is not the new record's owner: its email stays hidden (emailVisibility is off).
        expectedContent: ['"verified":false', '"emailVisibility":false'],
        notExpectedContent: ['password', 'tokenKey', 'new@example.com'],
        after: (h) => expect(count(h, 'users')).toBe(3),
        expectedEvents: { RecordCreate: 1, '*': 0 },
      },
    ],
    fixture,
  );
});
