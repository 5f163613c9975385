import { describe, expect, test } from 'vitest';
import { saveCollection } from '../collections/collections.service';
import type { Hearth } from '../main';
import {
  recordHeaders,
  superuserHeaders,
  SUPERUSER_REQUEST,
  testHearth,
  withSuperuser,
} from '../testing/hearth';
import { testScenarios, type Scenario } from '../testing/scenario';
import { createRecord } from './records.service';

/**
 * The edges of the records API as scenario tables (the SDK suite in tests/sdk covers conformance):
 * rules for guests, users and superusers, paging, bad and hostile list parameters, cascades.
 */
const ALICE = 'alice0000000001';
const BOB = 'bob000000000001';
const WALLET = 'wallet000000001';

async function fixture(h: Hearth): Promise<void> {
  await withSuperuser(h);
  const users = h.collections.find('users')!;
  for (const [id, email] of [
    [ALICE, 'alice@example.com'],
    [BOB, 'bob@example.com'],
  ] as const) {
    const password = `${id}-password`;
    await createRecord(
      h,
      users,
      { id, email, password, passwordConfirm: password, name: id },
      SUPERUSER_REQUEST,
    );
  }
  saveCollection(h, {
    name: 'posts',
    fields: [
      { name: 'title', type: 'text', required: true, max: 100 },
      { name: 'secret', type: 'text', hidden: true },
      { name: 'status', type: 'select', values: ['draft', 'published'], maxSelect: 1 },
      { name: 'views', type: 'number' },
      { name: 'author', type: 'relation', collectionId: 'users', maxSelect: 1 },
      { name: 'tags', type: 'select', values: ['a', 'b', 'c'], maxSelect: 3 },
    ],
    listRule: 'status = "published" || author = @request.auth.id',
    viewRule: 'status = "published" || author = @request.auth.id',
    createRule: '@request.auth.id != "" && author = @request.auth.id',
    updateRule: 'author = @request.auth.id',
    deleteRule: null,
  });
  saveCollection(h, {
    name: 'comments',
    fields: [
      { name: 'post', type: 'relation', collectionId: 'posts', maxSelect: 1, cascadeDelete: true },
      { name: 'message', type: 'text' },
    ],
    listRule: '',
    viewRule: '',
  });
  saveCollection(h, {
    name: 'wallets',
    fields: [
      { name: 'owner', type: 'relation', collectionId: 'users', maxSelect: 1, hidden: true },
      { name: 'balance', type: 'number' },
      { name: 'since', type: 'date' },
    ],
    listRule: '',
    viewRule: '',
    createRule: 'owner = @request.auth.id && @request.body.balance:isset = false',
    updateRule: 'owner = @request.auth.id && @request.body.balance:isset = false',
  });
  await createRecord(
    h,
    h.collections.find('wallets')!,
    { id: WALLET, owner: ALICE, balance: 10 },
    SUPERUSER_REQUEST,
  );
  const posts = h.collections.find('posts')!;
  const comments = h.collections.find('comments')!;
  const post = (id: string, title: string, status: string, author: string, views: number) =>
    createRecord(
      h,
      posts,
      { id, title, status, author, views, secret: 's3cret', tags: ['a', 'b'] },
      SUPERUSER_REQUEST,
    );
  await post('post00000000001', 'Hello <b>world</b> of posts', 'published', ALICE, 10);
  await post('post00000000002', 'Alice draft', 'draft', ALICE, 5);
  await post('post00000000003', 'Bob public', 'published', BOB, 7);
  await createRecord(
    h,
    comments,
    { id: 'comment00000001', post: 'post00000000001', message: 'first!' },
    SUPERUSER_REQUEST,
  );
}

const alice = (h: Hearth) => recordHeaders(h, 'users', ALICE);
const count = (h: Hearth, table: string) =>
  h.db.sql.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;

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

describe('batch', () => {
  const enable = (h: Hearth) => h.settings.set({ 'batch.enabled': true });
  testScenarios(
    [
      {
        name: 'disabled by default → 403',
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [{ method: 'POST', url: '/api/collections/comments/records', body: { message: 'x' } }],
        },
        expectedStatus: 403,
      },
      {
        name: 'all requests in one transaction',
        before: enable,
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [
            {
              method: 'POST',
              url: '/api/collections/comments/records',
              body: { id: 'comment00000002', message: 'a' },
            },
            {
              method: 'PATCH',
              url: '/api/collections/comments/records/comment00000002',
              body: { message: 'b' },
            },
            {
              method: 'PUT',
              url: '/api/collections/comments/records',
              body: { id: 'comment00000003', message: 'c' },
            },
            { method: 'DELETE', url: '/api/collections/comments/records/comment00000001' },
          ],
        },
        expectedStatus: 200,
        expectedContent: ['"status":200', '"message":"b"', '"status":204'],
        expectedEvents: { RecordCreate: 2, RecordUpdate: 1, RecordDelete: 1, '*': 0 },
        after: (h) => expect(count(h, 'comments')).toBe(2),
      },
      {
        name: 'one failing request rolls back all of them',
        before: enable,
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [
            { method: 'POST', url: '/api/collections/comments/records', body: { message: 'kept?' } },
            { method: 'POST', url: '/api/collections/posts/records', body: { title: '' } },
          ],
        },
        expectedStatus: 400,
        expectedContent: ['"requests":{"1":{"code":"batch_request_failed"', 'validation_required'],
        expectedEvents: { '*': 0 },
        after: (h) => expect(count(h, 'comments')).toBe(1),
      },
      {
        name: 'more requests than batch.maxRequests → 400',
        before: (h) => h.settings.set({ 'batch.enabled': true, 'batch.maxRequests': 1 }),
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: {
          requests: [
            { method: 'DELETE', url: '/api/collections/comments/records/comment00000001' },
            { method: 'DELETE', url: '/api/collections/comments/records/comment00000001' },
          ],
        },
        expectedStatus: 400,
        after: (h) => expect(count(h, 'comments')).toBe(1),
      },
    ],
    fixture,
  );
});

describe('records: regressions from review', () => {
  const tokens = new WeakMap<Hearth, string>();
  const balance = (h: Hearth) =>
    h.db.sql.prepare('SELECT balance FROM wallets WHERE id = ?').pluck().get(WALLET) as number;
  testScenarios(
    [
      {
        name: 'a modifier key cannot sidestep an @request.body rule on create',
        method: 'POST',
        url: '/api/collections/wallets/records',
        headers: alice,
        body: { owner: ALICE, 'balance+': 1000 },
        expectedStatus: 400,
        after: (h) => expect(count(h, 'wallets')).toBe(1),
      },
      {
        name: 'a modifier key cannot sidestep an @request.body rule on update',
        method: 'PATCH',
        url: `/api/collections/wallets/records/${WALLET}`,
        headers: alice,
        body: { 'balance+': 5000 },
        expectedStatus: 404,
        after: (h) => expect(balance(h)).toBe(10),
      },
      {
        name: 'a date far out of range is no date, not a 500',
        method: 'POST',
        url: '/api/collections/wallets/records',
        headers: superuserHeaders,
        body: { since: 1e20 },
        expectedStatus: 200,
        expectedContent: ['"since":""'],
        expectedEvents: { RecordCreate: 1, '*': 0 },
      },
      {
        name: 'a hidden relation cannot be expanded by a user',
        method: 'GET',
        url: `/api/collections/wallets/records/${WALLET}?expand=owner`,
        headers: alice,
        expectedStatus: 200,
        notExpectedContent: ['"expand"', ALICE],
      },
      {
        name: 'a guest cannot sign up already verified',
        method: 'POST',
        url: '/api/collections/users/records',
        body: {
          email: 'v@example.com',
          password: 'v-password-1',
          passwordConfirm: 'v-password-1',
          verified: true,
        },
        expectedStatus: 400,
        expectedContent: ['"verified":{'],
        after: (h) => expect(count(h, 'users')).toBe(2),
      },
      {
        name: 'a user cannot change their own email directly',
        method: 'PATCH',
        url: `/api/collections/users/records/${ALICE}`,
        headers: alice,
        body: { email: 'mallory@example.com' },
        expectedStatus: 400,
        expectedContent: ['"email":{'],
      },
      {
        name: 'a password change without the old password → 400',
        method: 'PATCH',
        url: `/api/collections/users/records/${ALICE}`,
        headers: alice,
        body: { password: 'brand-new-pass', passwordConfirm: 'brand-new-pass' },
        expectedStatus: 400,
        expectedContent: ['"oldPassword":{"code":"validation_invalid_old_password"'],
      },
      {
        name: 'a password change with the old password → 200, older tokens stop working',
        method: 'PATCH',
        url: `/api/collections/users/records/${ALICE}`,
        headers: alice,
        body: {
          password: 'brand-new-pass',
          passwordConfirm: 'brand-new-pass',
          oldPassword: `${ALICE}-password`,
        },
        expectedStatus: 200,
        expectedEvents: { RecordUpdate: 1, '*': 0 },
        before: async (h) => {
          tokens.set(h, (await alice(h))['Authorization']!);
        },
        after: async (h) => {
          const refresh = (token: string) =>
            h.api.request('/api/collections/users/auth-refresh', {
              method: 'POST',
              headers: { Authorization: token },
            });
          expect((await refresh(tokens.get(h)!)).status).toBe(401);
          expect((await refresh((await alice(h))['Authorization']!)).status).toBe(200);
        },
      },
      {
        name: 'the authRule applies at sign-in',
        before: (h) => {
          const users = h.collections.find('users')!;
          saveCollection(h, { authRule: 'verified = true' }, users);
        },
        method: 'POST',
        url: '/api/collections/users/auth-with-password',
        body: { identity: 'alice@example.com', password: `${ALICE}-password` },
        expectedStatus: 403,
        notExpectedContent: ['"token"'],
      },
      {
        name: 'a modifier on a single text field is ignored',
        method: 'PATCH',
        url: '/api/collections/posts/records/post00000000001',
        headers: superuserHeaders,
        body: { 'title+': 'x' },
        expectedStatus: 200,
        expectedContent: ['"title":"Hello <b>world</b> of posts"'],
        expectedEvents: { RecordUpdate: 1, '*': 0 },
      },
      {
        name: 'a batch request with a broken url → 400, not 500',
        before: (h) => h.settings.set({ 'batch.enabled': true }),
        method: 'POST',
        url: '/api/batch',
        headers: superuserHeaders,
        body: { requests: [{ method: 'POST', url: '/api/collections/%E0/records', body: {} }] },
        expectedStatus: 400,
      },
    ],
    fixture,
  );

  test('the only superuser cannot be deleted', async () => {
    const template = testHearth();
    try {
      await withSuperuser(template);
      const id = template.db.sql.prepare('SELECT id FROM _superusers').pluck().get() as string;
      const res = await template.api.request(`/api/collections/_superusers/records/${id}`, {
        method: 'DELETE',
        headers: await superuserHeaders(template),
      });
      expect(res.status).toBe(400);
      expect(count(template, '_superusers')).toBe(1);
    } finally {
      await template.cleanup();
    }
  });
});
