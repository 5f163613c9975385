import type PocketBase from 'pocketbase';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { closedPort, startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { createCollection, failure, fieldCode, startSdkServer, unique, type SdkServer } from './server';

// Mail through the SDK (docs/email.md): PocketBase's smtp/meta settings, the password kept secret,
// and POST /api/settings/test/email (`pb.settings.testEmail`) delivering to a real SMTP server on
// loopback, in the language the client asks for.

const RELAY_PASSWORD = 'relay-pass-Ü-91f3';
const TEST_LINK = 'http://127.0.0.1:8090/auth/verify#token=hearth-test-email-token';

let s: SdkServer;
let sink: SmtpSink;
let german: PocketBase;

beforeAll(async () => {
  s = await startSdkServer();
  sink = await startSmtpSink({ rejectRecipient: (a) => a.startsWith('bounce@') });
  german = s.newClient(s.admin.authStore.token);
  german.lang = 'de-DE'; // the SDK sends it as Accept-Language
});
afterAll(async () => {
  await sink?.close();
  await s?.close();
});
beforeEach(() => sink.clear());

const to = () => `${unique('m').toLowerCase()}@example.com`;
const mailTo = (address: string) => sink.waitFor((m) => m.envelope.to.includes(address));

describe('mail settings', () => {
  test('a fresh install has PocketBase’s smtp and sender settings, SMTP off, no password key', async () => {
    const settings = await s.admin.settings.getAll();
    expect(settings['smtp']).toEqual({
      enabled: false,
      host: 'smtp.example.com',
      port: 587,
      username: '',
      authMethod: 'PLAIN',
      tls: false,
      localName: '',
    });
    expect(settings['meta']).toMatchObject({ senderName: 'Support', senderAddress: 'support@example.com' });
  });

  test('the test email with SMTP off → 400 saying so, nothing sent', async () => {
    const err = await failure(s.admin.settings.testEmail('', to(), 'verification'));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/SMTP is off/);
    expect(sink.messages).toHaveLength(0);
  });

  test('PATCH stores the relay; the password never comes back, in PATCH or GET', async () => {
    const updated = await s.admin.settings.update({
      smtp: sink.smtpSettings({ username: 'relay-user', password: RELAY_PASSWORD, authMethod: 'LOGIN' }),
      meta: { senderName: 'Family Cloud', senderAddress: 'cloud@example.org' },
    });
    expect(updated['smtp']).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: sink.port,
      username: 'relay-user',
      authMethod: 'LOGIN',
      tls: false,
      localName: '',
    });
    const raw = await s.admin.send('/api/settings', {});
    expect(JSON.stringify(raw)).not.toContain(RELAY_PASSWORD);
    expect(JSON.stringify(updated)).not.toContain(RELAY_PASSWORD);
    expect(s.hearth.settings.get('smtp.password')).toBe(RELAY_PASSWORD);
  });

  test.each([
    ['smtp', 'port', 0],
    ['smtp', 'port', 70000],
    ['smtp', 'host', 'not a host!'],
    ['smtp', 'authMethod', 'CRAM-MD5'],
    ['smtp', 'localName', 'bad name'],
    ['meta', 'senderAddress', 'not-an-email'],
    ['meta', 'senderName', ''],
  ])('%s.%s = %j → 400 naming the field, nothing written', async (section, field, value) => {
    const before = s.hearth.settings.all();
    const err = await failure(s.admin.settings.update({ [section]: { [field]: value } }));
    expect(err.status).toBe(400);
    const data = err.response['data'] as Record<string, Record<string, { code: string }>>;
    expect(data[section]?.[field]?.code).toBe('validation_invalid_value');
    expect(s.hearth.settings.all()).toEqual(before);
  });
});

describe('POST /api/settings/test/email', () => {
  test('sends the template through the relay, in English by default, with text and HTML parts', async () => {
    const address = to();
    expect(await s.admin.settings.testEmail('', address, 'verification')).toBe(true);
    const mail = await mailTo(address);
    expect(mail.from).toBe('Family Cloud <cloud@example.org>');
    expect(mail.subject).toBe('Verify your Hearth email');
    expect(mail.text).toContain(`Please confirm that ${address} is your email address:\n\n${TEST_LINK}\n\n`);
    expect(mail.links).toEqual([TEST_LINK]);
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain(`href="${TEST_LINK}"`);
    // The stored secret reached the relay, with the AUTH method from the settings.
    expect(mail.auth).toEqual({ method: 'LOGIN', username: 'relay-user', password: RELAY_PASSWORD });
  });

  test('in German when the client asks for it (Accept-Language from pb.lang)', async () => {
    const address = to();
    await german.settings.testEmail('users', address, 'password-reset');
    const mail = await mailTo(address);
    expect(mail.subject).toBe('Setze dein Passwort für Hearth zurück');
    expect(mail.text).toMatch(/^Hallo,\n\nJemand möchte das Passwort deines Hearth-Kontos /);
    expect(mail.text).toContain('http://127.0.0.1:8090/auth/reset-password#token=hearth-test-email-token');
    expect(mail.html).toContain('<html lang="de">');
    expect(mail.html).toContain('>Passwort zurücksetzen</a>');
  });

  test.each([
    ['verification', 'Verify your Hearth email', 'Bestätige deine E-Mail-Adresse für Hearth'],
    ['password-reset', 'Reset your Hearth password', 'Setze dein Passwort für Hearth zurück'],
    [
      'email-change',
      'Confirm your new Hearth email address',
      'Bestätige deine neue E-Mail-Adresse für Hearth',
    ],
    ['otp', 'Your Hearth sign-in code', 'Dein Anmeldecode für Hearth'],
    ['login-alert', 'New sign-in to your Hearth account', 'Neue Anmeldung bei deinem Hearth-Konto'],
  ])('template %s → "%s" / "%s"', async (template, english, deutsch) => {
    const [a, b] = [to(), to()];
    await s.admin.settings.testEmail('_superusers', a, template);
    await german.settings.testEmail('', b, template);
    expect((await mailTo(a)).subject).toBe(english);
    const de = await mailTo(b);
    expect(de.subject).toBe(deutsch);
    if (template === 'otp') expect(de.text).toContain('\n\n123456\n\n');
  });

  test('PATCH with an empty password, or GET sent back as it came, keeps the stored password', async () => {
    await s.admin.settings.update({ smtp: { password: '' } });
    await s.admin.settings.update(await s.admin.settings.getAll());
    expect(s.hearth.settings.get('smtp.password')).toBe(RELAY_PASSWORD);
    const address = to();
    await s.admin.settings.testEmail('', address, 'otp');
    expect((await mailTo(address)).auth?.password).toBe(RELAY_PASSWORD);
  });

  test('a new password applies to the very next mail', async () => {
    try {
      await s.admin.settings.update({ smtp: { password: 'rotated-pass' } });
      const address = to();
      await s.admin.settings.testEmail('', address, 'otp');
      expect((await mailTo(address)).auth?.password).toBe('rotated-pass');
    } finally {
      await s.admin.settings.update({ smtp: { password: RELAY_PASSWORD } });
    }
  });

  test('bad input → PocketBase’s validation error, nothing sent', async () => {
    const base = await createCollection(s.admin, unique('notes'), [{ name: 'title', type: 'text' }]);
    const blank = await failure(s.admin.settings.testEmail('', '', ''));
    expect(blank.status).toBe(400);
    expect(blank.message).toBe('Failed to send the test email.');
    expect(fieldCode(blank, 'email')).toBe('validation_required');
    expect(fieldCode(blank, 'template')).toBe('validation_required');

    const wrong = await failure(s.admin.settings.testEmail('nope', 'not-an-email', 'welcome'));
    expect(fieldCode(wrong, 'email')).toBe('validation_is_email');
    expect(fieldCode(wrong, 'template')).toBe('validation_in_invalid');
    expect(fieldCode(wrong, 'collection')).toBe('validation_invalid_auth_collection');

    const notAuth = await failure(s.admin.settings.testEmail(base.name, to(), 'otp'));
    expect(fieldCode(notAuth, 'collection')).toBe('validation_invalid_auth_collection');

    const typed = await failure(
      s.admin.send('/api/settings/test/email', { method: 'POST', body: { email: ['a@b.co'], template: 1 } }),
    );
    expect(fieldCode(typed, 'email')).toBe('validation_is_email');
    expect(fieldCode(typed, 'template')).toBe('validation_in_invalid');
    expect(sink.messages).toHaveLength(0);
  });

  test('only superusers: anonymous → 401, a user → 403', async () => {
    expect((await failure(s.newClient().settings.testEmail('', to(), 'otp'))).status).toBe(401);
    const { client } = await s.signUp();
    expect((await failure(client.settings.testEmail('', to(), 'otp'))).status).toBe(403);
    expect(sink.messages).toHaveLength(0);
  });

  test('a relay that refuses the recipient → 400 with its reply, no stack', async () => {
    const err = await failure(s.admin.settings.testEmail('', 'bounce@example.com', 'otp'));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^Failed to send the test email\. Raw error: \n.*550/s);
    expect(err.message).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+/);
  });

  test('a relay that rejects the credentials → 400 with its 535 reply', async () => {
    const strict = await startSmtpSink({ auth: { username: 'relay-user', password: 'the-right-one' } });
    try {
      await s.admin.settings.update({ smtp: { port: strict.port } });
      const err = await failure(s.admin.settings.testEmail('', to(), 'otp'));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/535/);
      expect(strict.messages).toHaveLength(0);
    } finally {
      await s.admin.settings.update({ smtp: { port: sink.port } });
      await strict.close();
    }
  });

  test('a relay that is down → 400 naming the refused connection, not a 500', async () => {
    try {
      await s.admin.settings.update({ smtp: { port: await closedPort() } });
      const err = await failure(s.admin.settings.testEmail('', to(), 'verification'));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/^Failed to send the test email\. Raw error: \n.*ECONNREFUSED/s);
      expect(err.message).not.toMatch(/\bat \S+ \(|\.[jt]s:\d+/);
    } finally {
      await s.admin.settings.update({ smtp: { port: sink.port } });
    }
  });
});
