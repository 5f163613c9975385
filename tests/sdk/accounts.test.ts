import { hash as bcryptHash } from '@node-rs/bcrypt';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../support/smtp-sink';
import { failure, PASSWORD, startSdkServer, unique, type SdkServer } from './server';

// PocketBase's account flows through the official SDK, with mails caught by a real SMTP server:
// auth-methods, verification, password reset, email change, one-time passwords, impersonation,
// sessions ended by a password or email change, and accounts imported with bcrypt hashes.

let s: SdkServer;
let sink: SmtpSink;

beforeAll(async () => {
  s = await startSdkServer();
  sink = await startSmtpSink();
  await s.admin.settings.update({ smtp: sink.smtpSettings() });
  // These tests send many requests to the mail flows from one address; the limits themselves are
  // tested in ratelimit.test.ts.
  await s.admin.settings.update({ rateLimits: { enabled: false } });
});
afterAll(async () => {
  await s?.close();
  await sink?.close();
});

/** The token in the first link of the newest mail to `to` that `kind` (a path part) names. */
async function tokenFrom(to: string, path: string): Promise<string> {
  const mail = await sink.waitFor((m) => m.envelope.to.includes(to) && m.links.some((l) => l.includes(path)));
  const link = mail.links.find((l) => l.includes(path))!;
  return decodeURIComponent(new URL(link).hash.replace(/^#token=/, ''));
}

function mailsTo(to: string): SinkMessage[] {
  return sink.messages.filter((m) => m.envelope.to.includes(to));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** A signed-up user with its own email (a create answer hides it from the anonymous creator). */
async function newUser() {
  const user = await s.signUp();
  const self = await user.client.collection('users').getOne(user.record.id);
  return { ...user, record: self, email: self['email'] as string };
}

describe('auth-methods', () => {
  test("lists the collection's methods in PocketBase's shape", async () => {
    const methods = await s.newClient().collection('users').listAuthMethods();
    expect(methods).toMatchObject({
      password: { enabled: true, identityFields: ['email'] },
      oauth2: { enabled: false, providers: [] },
      mfa: { enabled: false, duration: 0 },
      otp: { enabled: false, duration: 0 },
    });
    const plain = await fetch(`${s.url}/api/collections/posts_none/auth-methods`);
    expect(plain.status).toBe(404);
  });
});

describe('verification', () => {
  test('a new user verifies through the mailed link', async () => {
    const { record, client } = await newUser();
    expect(record['verified']).toBe(false);
    await s
      .newClient()
      .collection('users')
      .requestVerification(record['email'] as string);
    const token = await tokenFrom(record['email'] as string, '/auth/verify#token=');
    const mail = mailsTo(record['email'] as string)[0]!;
    expect(mail.text).toContain(token);
    expect(mail.html).toBeDefined();
    await s.newClient().collection('users').confirmVerification(token);
    const refreshed = await client.collection('users').authRefresh();
    expect(refreshed.record['verified']).toBe(true);
    // Verified accounts get no more verification mails.
    sink.clear();
    await s
      .newClient()
      .collection('users')
      .requestVerification(record['email'] as string);
    await settle();
    expect(mailsTo(record['email'] as string)).toEqual([]);
  });

  test('bad tokens: garbage, another type, another collection, superusers', async () => {
    const bad = await failure(s.newClient().collection('users').confirmVerification('nope'));
    expect(bad.status).toBe(400);
    expect(bad.response['data']).toMatchObject({ token: { code: 'validation_invalid_token' } });
    const { token: authToken } = await newUser();
    expect((await failure(s.newClient().collection('users').confirmVerification(authToken))).status).toBe(
      400,
    );
    const supers = await failure(s.newClient().collection('_superusers').confirmVerification('x'));
    expect(supers.message).toBe('All superusers are verified by default.');
  });
});

describe('password reset', () => {
  test('round trip: mail, new password, every older session ended, token single-use', async () => {
    const { record, token: oldToken } = await newUser();
    const email = record['email'] as string;
    await s.newClient().collection('users').requestPasswordReset(email);
    const token = await tokenFrom(email, '/auth/reset-password#token=');

    const mismatch = await failure(
      s.newClient().collection('users').confirmPasswordReset(token, 'new-password-1', 'other-password-1'),
    );
    expect(mismatch.response['data']).toMatchObject({
      passwordConfirm: { code: 'validation_values_mismatch' },
    });
    const short = await failure(
      s.newClient().collection('users').confirmPasswordReset(token, 'short', 'short'),
    );
    expect(short.response['data']).toMatchObject({ password: { code: 'validation_min_text_constraint' } });

    await s.newClient().collection('users').confirmPasswordReset(token, 'new-password-1', 'new-password-1');
    expect((await failure(s.newClient().collection('users').authWithPassword(email, PASSWORD))).status).toBe(
      400,
    );
    const signedIn = await s.newClient().collection('users').authWithPassword(email, 'new-password-1');
    // The mail reached the account's address: that verifies it.
    expect(signedIn.record['verified']).toBe(true);
    expect((await failure(s.newClient(oldToken).collection('users').authRefresh())).status).toBe(401);
    const again = await failure(
      s.newClient().collection('users').confirmPasswordReset(token, 'new-password-2', 'new-password-2'),
    );
    expect(again.response['data']).toMatchObject({ token: { code: 'validation_invalid_token' } });
  });

  test('an unknown address is answered exactly like a known one, and gets no mail', async () => {
    const { record } = await newUser();
    const known = await fetch(`${s.url}/api/collections/users/request-password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: record['email'] }),
    });
    const unknownEmail = `${unique('nobody')}@example.com`;
    const unknown = await fetch(`${s.url}/api/collections/users/request-password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: unknownEmail }),
    });
    expect([known.status, unknown.status]).toEqual([204, 204]);
    expect(await known.text()).toBe(await unknown.text());
    expect([...known.headers.keys()].filter((h) => h !== 'date')).toEqual(
      [...unknown.headers.keys()].filter((h) => h !== 'date'),
    );
    await sink.waitFor((m) => m.envelope.to.includes(record['email'] as string));
    await settle();
    expect(mailsTo(unknownEmail)).toEqual([]);
    // Verification and OTP requests answer alike too.
    const verification = await fetch(`${s.url}/api/collections/users/request-verification`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: unknownEmail }),
    });
    expect(verification.status).toBe(204);
  });

  test('a malformed address is a validation error', async () => {
    const bad = await failure(s.newClient().collection('users').requestPasswordReset('not-an-email'));
    expect(bad.response['data']).toMatchObject({ email: { code: 'validation_is_email' } });
  });
});

describe('email change', () => {
  test('the new address confirms with the password; old sessions end', async () => {
    const { record, client, token: oldToken } = await newUser();
    const newEmail = `${unique('moved').toLowerCase()}@example.com`;
    await client.collection('users').requestEmailChange(newEmail);
    const token = await tokenFrom(newEmail, '/auth/confirm-email#token=');
    const wrong = await failure(
      s.newClient().collection('users').confirmEmailChange(token, 'wrong-password'),
    );
    expect(wrong.response['data']).toMatchObject({ password: { code: 'validation_invalid_password' } });
    await s.newClient().collection('users').confirmEmailChange(token, PASSWORD);
    const signedIn = await s.newClient().collection('users').authWithPassword(newEmail, PASSWORD);
    expect(signedIn.record.id).toBe(record.id);
    expect(signedIn.record['email']).toBe(newEmail);
    expect(signedIn.record['verified']).toBe(true);
    expect((await failure(s.newClient(oldToken).collection('users').authRefresh())).status).toBe(401);
    expect(
      (
        await failure(
          s
            .newClient()
            .collection('users')
            .authWithPassword(record['email'] as string, PASSWORD),
        )
      ).status,
    ).toBe(400);
  });

  test('needs a signed-in user, and an address nobody else has', async () => {
    expect(
      (await failure(s.newClient().collection('users').requestEmailChange('a@example.com'))).status,
    ).toBe(401);
    const a = await newUser();
    const b = await newUser();
    const taken = await failure(a.client.collection('users').requestEmailChange(b.record['email'] as string));
    expect(taken.response['data']).toMatchObject({ newEmail: { code: 'validation_invalid_new_email' } });
  });
});

describe('one-time passwords', () => {
  beforeAll(async () => {
    await s.admin.collections.update('users', { otp: { enabled: true, duration: 180, length: 8 } });
  });

  test('the mailed code signs in once and verifies the address', async () => {
    const { record } = await newUser();
    const email = record['email'] as string;
    const { otpId } = await s.newClient().collection('users').requestOTP(email);
    const mail = await sink.waitFor((m) => m.envelope.to.includes(email) && /\b\d{8}\b/.test(m.text ?? ''));
    const code = /\b(\d{8})\b/.exec(mail.text!)![1]!;
    expect((await failure(s.newClient().collection('users').authWithOTP(otpId, '00000000'))).status).toBe(
      400,
    );
    const auth = await s.newClient().collection('users').authWithOTP(otpId, code);
    expect(auth.record.id).toBe(record.id);
    expect(auth.record['verified']).toBe(true);
    expect((await failure(s.newClient().collection('users').authWithOTP(otpId, code))).status).toBe(400);
  });

  test('an unknown address gets an id that never works; guessing is cut off', async () => {
    const { otpId } = await s
      .newClient()
      .collection('users')
      .requestOTP(`${unique('ghost')}@example.com`);
    expect(otpId).toMatch(/^[a-z0-9]{15}$/);
    expect((await failure(s.newClient().collection('users').authWithOTP(otpId, '12345678'))).status).toBe(
      400,
    );

    const { record } = await newUser();
    const { otpId: real } = await s
      .newClient()
      .collection('users')
      .requestOTP(record['email'] as string);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await failure(s.newClient().collection('users').authWithOTP(real, `9999999${i}`))).status,
      );
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

  test('five tries per code, counted alike for real and unknown ids; then the code is gone', async () => {
    const { email } = await newUser();
    const { otpId } = await s.newClient().collection('users').requestOTP(email);
    const mail = await sink.waitFor((m) => m.envelope.to.includes(email) && /\b\d{8}\b/.test(m.text ?? ''));
    const code = /\b(\d{8})\b/.exec(mail.text!)![1]!;
    const tries = async (id: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const wrong = String((Number(code) + 1 + i) % 100_000_000).padStart(8, '0');
        statuses.push((await failure(s.newClient().collection('users').authWithOTP(id, wrong))).status);
      }
      return statuses;
    };
    const real = await tries(otpId);
    const fake = await tries('nosuchotpid0000');
    expect(real).toEqual([400, 400, 400, 400, 400, 429]);
    expect(fake).toEqual(real);
    // The code itself no longer works: it was deleted at the fifth wrong try.
    expect(s.hearth.db.sql.prepare('SELECT count(*) FROM _otps WHERE id = ?').pluck().get(otpId)).toBe(0);
  });

  test('sign out everywhere ends the codes on their way too', async () => {
    const { email, client } = await newUser();
    const { otpId } = await s.newClient().collection('users').requestOTP(email);
    await sink.waitFor((m) => m.envelope.to.includes(email) && /\b\d{8}\b/.test(m.text ?? ''));
    await client.send('/api/hearth/sign-out-everywhere', { method: 'POST' });
    expect(s.hearth.db.sql.prepare('SELECT count(*) FROM _otps WHERE id = ?').pluck().get(otpId)).toBe(0);
  });

  test('off unless the collection enables it', async () => {
    const off = await failure(s.newClient().collection('_superusers').requestOTP('a@example.com'));
    expect(off.status).toBe(403);
  });
});

describe('impersonation', () => {
  test('superusers get a token for a user that auth-refresh will not renew', async () => {
    const { record } = await newUser();
    const client = new PocketBase(s.url);
    client.autoCancellation(false);
    const auth = await s.admin.collection('users').impersonate(record.id, 60);
    expect(auth.authStore.record?.id).toBe(record.id);
    const exp = JSON.parse(Buffer.from(auth.authStore.token.split('.')[1]!, 'base64url').toString()) as {
      exp: number;
      refreshable: boolean;
    };
    expect(exp.refreshable).toBe(false);
    expect(exp.exp - Date.now() / 1000).toBeLessThanOrEqual(61);
    expect((await auth.collection('users').getOne(record.id)).id).toBe(record.id);
    const refresh = await failure(auth.collection('users').authRefresh());
    expect(refresh.status).toBe(403);
    expect(refresh.message).toBe('The current auth token is not refreshable.');
  });

  test('nobody else may impersonate', async () => {
    const a = await newUser();
    const b = await newUser();
    expect((await failure(a.client.collection('users').impersonate(b.record.id, 0))).status).toBe(403);
    expect((await failure(s.admin.collection('users').impersonate('missingrecord12', 0))).status).toBe(404);
  });
});

describe('linked identities and account claims', () => {
  test('claiming an unverified account by its email drops identities linked before', async () => {
    // Someone signed up with another person's address and linked a way in (as data from before
    // linking to unverified accounts was refused could have it).
    const { record, email } = await newUser();
    const now = new Date().toISOString().replace('T', ' ');
    s.hearth.db.sql
      .prepare(
        "INSERT INTO _externalAuths (id, collectionRef, recordRef, provider, providerId, created, updated) VALUES ('plantedlink0001', '_pb_users_auth_', ?, 'siwe', '0xAttacker', ?, ?)",
      )
      .run(record.id, now, now);
    // The address's owner resets the password through the mail: the account is theirs now.
    await s.newClient().collection('users').requestPasswordReset(email);
    const token = await tokenFrom(email, '/auth/reset-password#token=');
    await s
      .newClient()
      .collection('users')
      .confirmPasswordReset(token, 'owner-password-1', 'owner-password-1');
    const links = s.hearth.db.sql.prepare('SELECT count(*) FROM _externalAuths WHERE recordRef = ?').pluck();
    expect(links.get(record.id)).toBe(0);
  });

  test('deleting an account deletes its identities and codes', async () => {
    const { record, email, client } = await newUser();
    await s.newClient().collection('users').requestOTP(email);
    await sink.waitFor((m) => m.envelope.to.includes(email) && /\b\d{8}\b/.test(m.text ?? ''));
    const now = new Date().toISOString().replace('T', ' ');
    s.hearth.db.sql
      .prepare(
        "INSERT INTO _externalAuths (id, collectionRef, recordRef, provider, providerId, created, updated) VALUES ('deletedlink0001', '_pb_users_auth_', ?, 'siwe', '0xGone', ?, ?)",
      )
      .run(record.id, now, now);
    await client.collection('users').delete(record.id);
    for (const table of ['_externalAuths', '_otps']) {
      expect(
        s.hearth.db.sql.prepare(`SELECT count(*) FROM ${table} WHERE recordRef = ?`).pluck().get(record.id),
      ).toBe(0);
    }
  });
});

describe('sessions and hashes', () => {
  test("a password change through a record update ends the user's older sessions", async () => {
    const { record, client, token } = await newUser();
    await client.collection('users').update(record.id, {
      oldPassword: PASSWORD,
      password: 'changed-password-1',
      passwordConfirm: 'changed-password-1',
    });
    expect((await failure(s.newClient(token).collection('users').authRefresh())).status).toBe(401);
  });

  test('sign out everywhere ends every session of the account, the current one too', async () => {
    const { client, token, email } = await newUser();
    const other = await s.newClient().collection('users').authWithPassword(email, PASSWORD);
    await client.send('/api/hearth/sign-out-everywhere', { method: 'POST' });
    for (const old of [token, other.token]) {
      expect((await failure(s.newClient(old).collection('users').authRefresh())).status).toBe(401);
    }
    expect(
      (await failure(s.newClient().send('/api/hearth/sign-out-everywhere', { method: 'POST' }))).status,
    ).toBe(401);
    await s.newClient().collection('users').authWithPassword(email, PASSWORD);
  });

  test('an account imported with a bcrypt hash signs in, and its hash becomes argon2id', async () => {
    const { record } = await newUser();
    const email = record['email'] as string;
    const imported = await bcryptHash('imported-password', 10);
    s.hearth.db.sql.prepare('UPDATE users SET password = ? WHERE id = ?').run(imported, record.id);
    expect(
      (await failure(s.newClient().collection('users').authWithPassword(email, 'wrong-password'))).status,
    ).toBe(400);
    await s.newClient().collection('users').authWithPassword(email, 'imported-password');
    const stored = s.hearth.db.sql.prepare('SELECT password FROM users WHERE id = ?').pluck().get(record.id);
    expect(String(stored)).toMatch(/^\$argon2id\$/);
    await s.newClient().collection('users').authWithPassword(email, 'imported-password');
  });
});
