import { describe, expect, test } from 'vitest';
import { superuserCount, upsertSuperuser } from './superusers';
import { findSuperuserByEmail } from './superusers.store';
import { SUPERUSER, superuserHeaders, testHearth, withSuperuser } from '../testing/hearth';
import { testScenarios } from '../testing/scenario';

const AUTH = '/api/collections/_superusers/auth-with-password';
const RECORDS = '/api/collections/_superusers/records';
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
        name: 'other collections are not served yet → 404',
        method: 'POST',
        url: '/api/collections/users/auth-with-password',
        body: { identity: SUPERUSER.email, password: SUPERUSER.password },
        expectedStatus: 404,
      },
    ],
    withSuperuser,
  );
});

describe('superuser records and tokens', () => {
  testScenarios(
    [
      {
        name: 'create without a token → 401',
        method: 'POST',
        url: RECORDS,
        body: newAdmin,
        expectedStatus: 401,
        expectedContent: ['The request requires valid record authorization token.'],
        expectedEvents: { '*': 0 },
      },
      {
        name: 'create with a forged token → 401',
        method: 'POST',
        url: RECORDS,
        headers: {
          Authorization:
            'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6Inh4eCIsImNvbGxlY3Rpb25JZCI6InBiY18zMTQyNjM1ODIzIiwidHlwZSI6ImF1dGgiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl',
        },
        body: newAdmin,
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
        expectedEvents: { SuperuserUpsert: 1, '*': 0 },
        after: (h) => expect(superuserCount(h)).toBe(2),
      },
      {
        name: '"Bearer " prefix is accepted too',
        method: 'POST',
        url: RECORDS,
        headers: async (h) => ({ Authorization: `Bearer ${(await superuserHeaders(h))['Authorization']}` }),
        body: newAdmin,
        expectedStatus: 200,
      },
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
          '"password":{"code":"validation_length_out_of_range"',
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
  test('GET tells whether setup is needed; POST needs the printed code and works once', async () => {
    const hearth = testHearth();
    try {
      const link = hearth.setupLink('http://127.0.0.1:8090');
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8090\/setup#[A-Za-z0-9_-]{32}$/);
      const code = link!.split('#')[1]!;
      const post = (body: object) =>
        hearth.api.request('/api/hearth/setup', {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
      expect(await (await hearth.api.request('/api/hearth/setup')).json()).toEqual({ required: true });

      const wrong = await post({
        code: 'guess',
        email: 'a@example.com',
        password: 'long enough pw',
        passwordConfirm: 'long enough pw',
      });
      expect(wrong.status).toBe(403);
      expect(superuserCount(hearth)).toBe(0);

      const invalid = await post({
        code,
        email: 'a@example.com',
        password: 'long enough pw',
        passwordConfirm: 'different',
      });
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toMatchObject({
        data: { passwordConfirm: { code: 'validation_values_mismatch' } },
      });
      expect(superuserCount(hearth)).toBe(0);

      const ok = await post({
        code,
        email: 'a@example.com',
        password: 'long enough pw',
        passwordConfirm: 'long enough pw',
      });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { token: string; record: { email: string } };
      expect(body.record.email).toBe('a@example.com');
      const refreshed = await hearth.api.request('/api/collections/_superusers/auth-refresh', {
        method: 'POST',
        headers: { Authorization: body.token },
      });
      expect(refreshed.status).toBe(200);

      expect(await (await hearth.api.request('/api/hearth/setup')).json()).toEqual({ required: false });
      const again = await post({
        code,
        email: 'b@example.com',
        password: 'long enough pw',
        passwordConfirm: 'long enough pw',
      });
      expect(again.status).toBe(403);
      expect(superuserCount(hearth)).toBe(1);
      expect(hearth.setupLink('http://127.0.0.1:8090')).toBeNull();
    } finally {
      await hearth.cleanup();
    }
  });

  test('two racing setups create exactly one superuser', async () => {
    const hearth = testHearth();
    try {
      const code = hearth.setupLink('http://x')!.split('#')[1]!;
      const post = (email: string) =>
        hearth.api.request('/api/hearth/setup', {
          method: 'POST',
          body: JSON.stringify({
            code,
            email,
            password: 'long enough pw',
            passwordConfirm: 'long enough pw',
          }),
          headers: { 'content-type': 'application/json' },
        });
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
      const res = await hearth.api.request('/api/hearth/setup', {
        method: 'POST',
        body: JSON.stringify({ code: '', email: 'x@example.com', password: 'long enough pw' }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(403);
    } finally {
      await hearth.cleanup();
    }
  });
});
