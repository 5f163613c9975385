import { describe, expect, test } from 'vitest';
import { saveCollection } from '../collections/collections.service';
import type { Hearth } from '../main';
import { superuserHeaders, testHearth, withSuperuser } from '../testing/hearth';
import { testScenarios } from '../testing/scenario';
import { ALICE, alice, BOB, count, fixture, WALLET } from './records.fixture';

/** Regressions from the review of the storage API: each pins a hole that was open. */
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
        url: `/api/collections/wallets/records/${WALLET}?expand=guardian`,
        headers: alice,
        expectedStatus: 200,
        expectedContent: [`"owner":"${ALICE}"`],
        notExpectedContent: ['"expand"', '"guardian"'],
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
        name: 'a hidden field is not writable by its owner (dropped, as PocketBase)',
        method: 'PATCH',
        url: `/api/collections/wallets/records/${WALLET}`,
        headers: alice,
        body: { note: 'mine now' },
        expectedStatus: 200,
        notExpectedContent: ['mine now'],
        expectedEvents: { RecordUpdate: 1, '*': 0 },
        after: (h) =>
          expect(h.db.sql.prepare('SELECT note FROM wallets WHERE id = ?').pluck().get(WALLET)).toBe(
            'server only',
          ),
      },
      {
        name: 'an empty manageRule makes no one a manager: a guest cannot take over an account',
        before: (h) =>
          void saveCollection(h, { updateRule: '', manageRule: '' }, h.collections.find('users')),
        method: 'PATCH',
        url: `/api/collections/users/records/${BOB}`,
        body: { email: 'evil@example.com', verified: true },
        expectedStatus: 400,
        after: (h) =>
          expect(h.db.sql.prepare('SELECT email FROM users WHERE id = ?').pluck().get(BOB)).toBe(
            'bob@example.com',
          ),
      },
      {
        name: 'a manageRule reading verified sees the new record unverified',
        before: (h) =>
          void saveCollection(
            h,
            { createRule: '', manageRule: '@request.auth.id != "" && verified = true' },
            h.collections.find('users'),
          ),
        method: 'POST',
        url: '/api/collections/users/records',
        headers: alice,
        body: {
          email: 'v2@example.com',
          password: 'v2-password-1',
          passwordConfirm: 'v2-password-1',
          verified: true,
        },
        expectedStatus: 400,
        expectedContent: ['"verified":{'],
        after: (h) => expect(count(h, 'users')).toBe(2),
      },
      {
        name: 'auth-refresh checks the authRule too',
        before: (h) => void saveCollection(h, { authRule: 'verified = true' }, h.collections.find('users')),
        method: 'POST',
        url: '/api/collections/users/auth-refresh',
        headers: alice,
        expectedStatus: 403,
        notExpectedContent: ['"token"'],
      },
      {
        name: 'a malformed fields parameter on a create → 400 before anything is written',
        method: 'POST',
        url: '/api/collections/wallets/records?fields=a;b',
        headers: superuserHeaders,
        body: { balance: 1 },
        expectedStatus: 400,
        after: (h) => expect(count(h, 'wallets')).toBe(1),
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
