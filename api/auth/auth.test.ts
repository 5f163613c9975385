import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, test, vi } from 'vitest';
import { saveCollection } from '../collections/collections.service';
import type { Hearth } from '../main';
import { getOrCreateSecret } from '../core/secrets';
import { SetupGate } from './setup';
import { SUPERUSERS } from '../core/http';
import { tokenSecret } from './record-tokens';
import { superuserCount, upsertSuperuser } from './superusers';
import { findSuperuserByEmail } from './superusers.store';
import { SUPERUSER, superuserHeaders, testHearth, withSuperuser } from '../testing/hearth';
import { testScenarios, type Scenario } from '../testing/scenario';

const AUTH = '/api/collections/_superusers/auth-with-password';
const RECORDS = '/api/collections/_superusers/records';
const SUPERUSER_ONLY = '/api/collections';
/** Tokens for the real fixture superuser that must all be refused. */
async function sign(
  h: Hearth,
  claims: Record<string, unknown>,
  key: string,
  exp = Math.floor(Date.now() / 1000) + 600,
) {
  const row = findSuperuserByEmail(h.db, SUPERUSER.email)!;
  return new SignJWT({
    id: row.id,
    collectionId: 'pbc_3142635823',
    type: 'auth',
    refreshable: true,
    ...claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(key));
}
const realKey = (h: Hearth) =>
  getOrCreateSecret(h.db, tokenSecret('auth', SUPERUSERS.id)) +
  findSuperuserByEmail(h.db, SUPERUSER.email)!.tokenKey;
const forgedTokens: [string, (h: Hearth) => Promise<string>][] = [
  ['signed with the wrong key', (h) => sign(h, {}, 'not the key')],
  [
    'signed with the secret alone (no tokenKey)',
    (h) => sign(h, {}, getOrCreateSecret(h.db, tokenSecret('auth', SUPERUSERS.id))),
  ],
  ['that has expired', (h) => sign(h, {}, realKey(h), Math.floor(Date.now() / 1000) - 10)],
  ['of another type', (h) => sign(h, { type: 'file' }, realKey(h))],
  ['for an unknown id', (h) => sign(h, { id: 'aaaaaaaaaaaaaaa' }, realKey(h))],
  [
    'with alg "none"',
    (h) =>
      Promise.resolve(
        new UnsecuredJWT({
          id: findSuperuserByEmail(h.db, SUPERUSER.email)!.id,
          collectionId: 'pbc_3142635823',
          type: 'auth',
        })
          .setExpirationTime('10m')
          .encode(),
      ),
  ],
  ['that is not a JWT', () => Promise.resolve('not-a-token')],
  // Node's base64url decoder skips stray characters; the token check must not.
  [
    'with a stray character after a valid signature',
    async (h) => `${(await superuserHeaders(h))['Authorization']}!`,
  ],
];

const newAdmin = {
  email: 'second@example.com',
  password: 'another long secret',
  passwordConfirm: 'another long secret',
};

describe('superuser auth-with-password', () => {
  testScenarios(
    [
      {
        name: 'right credentials → token and record, no secrets',
        method: 'POST',
        url: AUTH,
        body: { identity: SUPERUSER.email, password: SUPERUSER.password },
        expectedStatus: 200,
        expectedContent: [
          '"token":"',
          '"collectionName":"_superusers"',
          '"collectionId":"pbc_3142635823"',
          `"email":"${SUPERUSER.email}"`,
        ],
        notExpectedContent: ['"password"', 'tokenKey', '$argon2'],
        expectedEvents: { '*': 0 },
      },
      {
        name: 'email matches without case; the collection id works as its name',
        method: 'POST',
        url: '/api/collections/pbc_3142635823/auth-with-password',
        body: { identity: SUPERUSER.email.toUpperCase(), password: SUPERUSER.password },
        expectedStatus: 200,
      },
      {
        name: 'wrong password → 400 Failed to authenticate',
        method: 'POST',
        url: AUTH,
        body: { identity: SUPERUSER.email, password: 'wrong password!' },
        expectedStatus: 400,
        expectedContent: ['"message":"Failed to authenticate."', '"data":{}'],
        notExpectedContent: ['token'],
      },
      {
        name: 'unknown email → the same 400 as a wrong password',
        method: 'POST',
        url: AUTH,
        body: { identity: 'nobody@example.com', password: SUPERUSER.password },
        expectedStatus: 400,
        expectedContent: ['{"status":400,"message":"Failed to authenticate.","data":{}}'],
      },
      {
        name: 'missing fields → 400 with field errors',
        method: 'POST',
        url: AUTH,
        body: {},
        expectedStatus: 400,
        expectedContent: [
          '"identity":{"code":"validation_required"',
          '"password":{"code":"validation_required"',
        ],
      },
      {
        name: 'malformed JSON → 400',
        method: 'POST',
        url: AUTH,
        body: '{"identity":',
        headers: { 'content-type': 'application/json' },
        expectedStatus: 400,
      },
      {
        name: 'a superuser cannot sign in through users → 400',
        method: 'POST',
        url: '/api/collections/users/auth-with-password',
        body: { identity: SUPERUSER.email, password: SUPERUSER.password },
        expectedStatus: 400,
        notExpectedContent: ['"token"'],
      },
      {
        name: 'a base collection has no sign-in → 400',
        method: 'POST',
        url: '/api/collections/memos/auth-with-password',
        before: (h) => void saveCollection(h, { name: 'memos', fields: [{ name: 'email', type: 'email' }] }),
        body: { identity: 'nobody@example.com', password: 'whatever' },
        expectedStatus: 400,
        expectedContent: ['not an auth collection'],
      },
    ],
    withSuperuser,
  );
});

describe('superuser records and tokens', () => {
  testScenarios(
    [
      {
        name: 'create without a token → 403 (the create rule is locked), nothing written',
        method: 'POST',
        url: RECORDS,
        body: newAdmin,
        expectedStatus: 403,
        expectedContent: ['Only superusers can perform this action.'],
        after: (h) => expect(superuserCount(h)).toBe(1),
        expectedEvents: { '*': 0 },
      },
      {
        name: 'a forged token is no sign-in → 401 where superusers are required',
        method: 'GET',
        url: SUPERUSER_ONLY,
        headers: {
          Authorization:
            'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6Inh4eCIsImNvbGxlY3Rpb25JZCI6InBiY18zMTQyNjM1ODIzIiwidHlwZSI6ImF1dGgiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl',
        },
        expectedStatus: 401,
      },
      {
        name: 'create as superuser → 200 record, event fired',
        method: 'POST',
        url: RECORDS,
        headers: superuserHeaders,
        body: newAdmin,
        expectedStatus: 200,
        expectedContent: ['"email":"second@example.com"', '"verified":true'],
        notExpectedContent: ['"password"', 'tokenKey'],
        expectedEvents: { RecordCreate: 1, '*': 0 },
        after: (h) => expect(superuserCount(h)).toBe(2),
      },
      {
        name: '"Bearer " prefix is accepted too',
        method: 'POST',
        url: RECORDS,
        headers: async (h) => ({ Authorization: `Bearer ${(await superuserHeaders(h))['Authorization']}` }),
        body: newAdmin,
        expectedStatus: 200,
        expectedEvents: { RecordCreate: 1, '*': 0 },
      },
      {
        name: 'create without passwordConfirm → 400 validation_required, as PocketBase',
        method: 'POST',
        url: RECORDS,
        headers: superuserHeaders,
        body: { email: newAdmin.email, password: newAdmin.password },
        expectedStatus: 400,
        expectedContent: ['"passwordConfirm":{"code":"validation_required"'],
        after: (h) => expect(superuserCount(h)).toBe(1),
      },
      ...forgedTokens.map(([name, forge]): Scenario => ({
        name: `a token ${name} → no sign-in: 401 on superuser routes`,
        method: 'GET',
        url: SUPERUSER_ONLY,
        headers: async (h) => ({ Authorization: await forge(h) }),
        expectedStatus: 401,
      })),
      {
        name: 'duplicate email (any case) → 400 validation_not_unique, nothing written',
        method: 'POST',
        url: RECORDS,
        headers: superuserHeaders,
        body: { ...newAdmin, email: SUPERUSER.email.toUpperCase() },
        expectedStatus: 400,
        expectedContent: ['"email":{"code":"validation_not_unique"'],
        expectedEvents: { '*': 0 },
        after: (h) => expect(superuserCount(h)).toBe(1),
      },
      {
        name: 'invalid fields → 400 with every field error',
        method: 'POST',
        url: RECORDS,
        headers: superuserHeaders,
        body: { email: 'not-an-email', password: 'short', passwordConfirm: 'other' },
        expectedStatus: 400,
        expectedContent: [
          '"email":{"code":"validation_is_email"',
          '"password":{"code":"validation_min_text_constraint"',
          '"passwordConfirm":{"code":"validation_values_mismatch"',
        ],
        after: (h) => expect(superuserCount(h)).toBe(1),
      },
      {
        name: 'auth-refresh with a valid token → new token',
        method: 'POST',
        url: '/api/collections/_superusers/auth-refresh',
        headers: superuserHeaders,
        expectedStatus: 200,
        expectedContent: ['"token":"', `"email":"${SUPERUSER.email}"`],
      },
      {
        name: 'auth-refresh without a token → 401',
        method: 'POST',
        url: '/api/collections/_superusers/auth-refresh',
        expectedStatus: 401,
      },
    ],
    withSuperuser,
  );

  test('a password change invalidates every older token', async () => {
    const hearth = testHearth();
    try {
      await withSuperuser(hearth);
      const old = await superuserHeaders(hearth);
      const refresh = () =>
        hearth.api.request('/api/collections/_superusers/auth-refresh', { method: 'POST', headers: old });
      expect((await refresh()).status).toBe(200);
      await upsertSuperuser(hearth, SUPERUSER.email, 'a brand new password');
      expect((await refresh()).status).toBe(401);
      expect(findSuperuserByEmail(hearth.db, SUPERUSER.email)).toBeDefined();
    } finally {
      await hearth.cleanup();
    }
  });

  test('a full disk mid-write → 507, no half-written row, the server keeps answering', async () => {
    const hearth = testHearth();
    try {
      await withSuperuser(hearth);
      const headers = { ...(await superuserHeaders(hearth)), 'content-type': 'application/json' };
      const pages = hearth.db.sql.pragma('page_count', { simple: true }) as number;
      hearth.db.sql.pragma(`max_page_count = ${pages}`);
      const big = { ...newAdmin, email: `${'x'.repeat(200)}@example.com` };
      let res: Response | undefined;
      let before = 0;
      for (let i = 0; i < 200; i++) {
        before = superuserCount(hearth);
        res = await hearth.api.request(RECORDS, {
          method: 'POST',
          headers,
          body: JSON.stringify({ ...big, email: `${i}${big.email}` }),
        });
        if (res.status !== 200) break;
      }
      expect(res!.status).toBe(507);
      expect(await res!.json()).toMatchObject({ message: 'Not enough disk space to store this.' });
      expect(superuserCount(hearth)).toBe(before);
      expect(hearth.db.sql.pragma('integrity_check', { simple: true })).toBe('ok');
      hearth.db.sql.pragma('max_page_count = 1073741823');
      expect((await hearth.api.request('/api/health')).status).toBe(200);
      expect(superuserCount(hearth)).toBe(before);
    } finally {
      await hearth.cleanup();
    }
  });
});

describe('first-run setup', () => {
  const PASSWORD = 'long enough pw';
  /** POST /api/hearth/setup with a valid form unless `body` overrides parts of it. */
  const postSetup = (hearth: Hearth, body: Record<string, unknown>) =>
    hearth.api.request('/api/hearth/setup', {
      method: 'POST',
      body: JSON.stringify({
        email: 'a@example.com',
        password: PASSWORD,
        passwordConfirm: PASSWORD,
        ...body,
      }),
      headers: { 'content-type': 'application/json' },
    });
  const codeOf = (hearth: Hearth) => hearth.setupLink('http://x')!.split('#')[1]!;

  test('GET tells whether setup is needed; POST needs the printed code and works once', async () => {
    const hearth = testHearth();
    try {
      const link = hearth.setupLink('http://127.0.0.1:8090');
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8090\/setup#[A-Za-z0-9_-]{32}$/);
      const code = codeOf(hearth);
      const post = (body: Record<string, unknown>) => postSetup(hearth, body);
      expect(await (await hearth.api.request('/api/hearth/setup')).json()).toEqual({
        required: true,
        passwordMin: 10,
      });

      const wrong = await post({ code: 'guess' });
      expect(wrong.status).toBe(403);
      expect(superuserCount(hearth)).toBe(0);

      const invalid = await post({ code, passwordConfirm: 'different' });
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toMatchObject({
        data: { passwordConfirm: { code: 'validation_values_mismatch' } },
      });
      expect(superuserCount(hearth)).toBe(0);

      const ok = await post({ code });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { token: string; record: { email: string } };
      expect(body.record.email).toBe('a@example.com');
      const refreshed = await hearth.api.request('/api/collections/_superusers/auth-refresh', {
        method: 'POST',
        headers: { Authorization: body.token },
      });
      expect(refreshed.status).toBe(200);

      expect(await (await hearth.api.request('/api/hearth/setup')).json()).toMatchObject({ required: false });
      const again = await post({ code, email: 'b@example.com' });
      expect(again.status).toBe(403);
      expect(superuserCount(hearth)).toBe(1);
      expect(hearth.setupLink('http://127.0.0.1:8090')).toBeNull();
    } finally {
      await hearth.cleanup();
    }
  });

  test('an expired setup code is refused with a way forward', async () => {
    const hearth = testHearth();
    const spy = vi.spyOn(Date, 'now');
    try {
      const code = codeOf(hearth);
      spy.mockReturnValue(hearth.setupGate!.expiresAt + 1);
      const res = await postSetup(hearth, { code });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ message: expect.stringContaining('has expired') as unknown });
      expect(superuserCount(hearth)).toBe(0);
    } finally {
      spy.mockRestore();
      await hearth.cleanup();
    }
  });

  test('the setup code expires after 30 minutes', () => {
    const gate = new SetupGate(1_000);
    expect(gate.expired(1_000 + 29 * 60_000)).toBe(false);
    expect(gate.expired(1_000 + 30 * 60_000)).toBe(true);
    expect(gate.accepts(gate.code)).toBe(true);
    expect(gate.accepts(`${gate.code}x`)).toBe(false);
    expect(gate.accepts(undefined)).toBe(false);
  });

  test('two racing setups create exactly one superuser', async () => {
    const hearth = testHearth();
    try {
      const code = codeOf(hearth);
      const post = (email: string) => postSetup(hearth, { code, email });
      const statuses = (await Promise.all([post('a@example.com'), post('b@example.com')]))
        .map((r) => r.status)
        .sort();
      expect(statuses).toEqual([200, 403]);
      expect(superuserCount(hearth)).toBe(1);
    } finally {
      await hearth.cleanup();
    }
  });

  test('an install that has a superuser at start has no setup code at all', async () => {
    const first = testHearth();
    await withSuperuser(first);
    await first.close();
    const hearth = testHearth(first.dir);
    try {
      expect(hearth.setupLink('http://x')).toBeNull();
      const res = await postSetup(hearth, { code: '' });
      expect(res.status).toBe(403);
    } finally {
      await hearth.cleanup();
    }
  });
});
