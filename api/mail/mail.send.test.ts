import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { closedPort, startSmtpSink, type SmtpSink } from '../../tests/support/smtp-sink';
import { testHearth, type TestHearth } from '../testing/hearth';
import { isLoopbackHost, MailError, sendAuthMail, transportOptions, type MailDeps } from './mail.send';

/** A pino logger whose lines land in `lines` (parsed), for asserting what was logged. */
function captureLogger(): { logger: MailDeps['logger']; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** An IPv4 address of this machine that is not loopback, or undefined when it has none. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const TOKEN = 'one.time.token-value';
let sink: SmtpSink;
let hearth: TestHearth;
let deps: MailDeps;
let lines: Record<string, unknown>[];

beforeAll(async () => {
  sink = await startSmtpSink({ rejectRecipient: (a) => a.startsWith('bounce@') });
});
afterAll(() => sink.close());
beforeEach(() => {
  hearth = testHearth();
  const captured = captureLogger();
  lines = captured.lines;
  deps = { settings: hearth.settings, logger: captured.logger };
  sink.clear();
});
afterEach(() => hearth.cleanup());

/** Points the settings at `sink` through the store, as PATCH /api/settings would. */
function useSink(target: SmtpSink, extra: Record<string, unknown> = {}): void {
  const smtp = target.smtpSettings(extra);
  hearth.settings.set(Object.fromEntries(Object.entries(smtp).map(([k, v]) => [`smtp.${k}`, v])));
}

describe('sendAuthMail', () => {
  test('SMTP off (a fresh install): resolves, logs subject and recipient at info, never the token', async () => {
    await sendAuthMail(deps, 'verification', 'ada@example.com', { collectionName: 'users', token: TOKEN });
    expect(sink.messages).toHaveLength(0);
    const line = lines.find((l) => l['msg'] === 'SMTP is off; not sent');
    expect(line).toMatchObject({ level: 30, to: 'ada@example.com', subject: 'Verify your Hearth email' });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  test('SMTP on: the relay gets one mail from the sender setting with text and HTML parts', async () => {
    useSink(sink);
    hearth.settings.set({
      'meta.senderName': 'Family Cloud',
      'meta.senderAddress': 'noreply@cloud.example.org',
      'meta.appURL': 'https://cloud.example.org',
    });
    await sendAuthMail(deps, 'password-reset', 'ada@example.com', {
      collectionName: 'users',
      lang: 'de-DE',
      token: TOKEN,
    });
    const mail = await sink.waitFor((m) => m.envelope.to.includes('ada@example.com'));
    expect(mail.envelope.from).toBe('noreply@cloud.example.org');
    expect(mail.from).toBe('Family Cloud <noreply@cloud.example.org>');
    expect(mail.subject).toBe('Setze dein Passwort für Hearth zurück');
    expect(mail.links).toEqual([`https://cloud.example.org/auth/reset-password#token=${TOKEN}`]);
    expect(mail.html).toContain(`href="https://cloud.example.org/auth/reset-password#token=${TOKEN}"`);
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/);
    expect(mail.auth).toBeUndefined(); // no username: no AUTH
    expect(lines.find((l) => l['msg'] === 'mail sent')).toMatchObject({ to: 'ada@example.com' });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  test('with a username, AUTH uses the stored password and the chosen method', async () => {
    useSink(sink, { username: 'relay-user', password: 's3cret pass', authMethod: 'LOGIN' });
    await sendAuthMail(deps, 'otp', 'ada@example.com', { collectionName: 'users', otp: '734120' });
    const mail = await sink.waitFor();
    expect(mail.auth).toEqual({ method: 'LOGIN', username: 'relay-user', password: 's3cret pass' });
    expect(mail.text).toContain('\n\n734120\n\n');
  });

  test('a settings change applies to the next mail (another relay, another port)', async () => {
    const other = await startSmtpSink();
    try {
      useSink(sink);
      await sendAuthMail(deps, 'login-alert', 'one@example.com', { collectionName: 'users' });
      useSink(other);
      await sendAuthMail(deps, 'login-alert', 'two@example.com', { collectionName: 'users' });
      expect(sink.messages.map((m) => m.envelope.to)).toEqual([['one@example.com']]);
      expect((await other.waitFor()).envelope.to).toEqual(['two@example.com']);
    } finally {
      await other.close();
    }
  });

  test('a relay that refuses the recipient → MailError with its 550 reply', async () => {
    useSink(sink);
    const err = await sendAuthMail(deps, 'otp', 'bounce@example.com', {
      collectionName: 'users',
      otp: '1',
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MailError);
    expect((err as MailError).message).toMatch(/550/);
    expect((err as MailError).responseCode).toBe(550);
  });

  test('a relay that is down → MailError naming the connection failure', async () => {
    hearth.settings.set({ 'smtp.enabled': true, 'smtp.host': '127.0.0.1', 'smtp.port': await closedPort() });
    const err = await sendAuthMail(deps, 'otp', 'ada@example.com', {
      collectionName: 'users',
      otp: '1',
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MailError);
    expect((err as MailError).message).toMatch(/ECONNREFUSED|refused/i);
    expect((err as MailError).code).toBe('ESOCKET');
  });

  test('a relay offering STARTTLS is upgraded to, and its self-signed certificate refused: no plain-text fallback', async () => {
    const tlsSink = await startSmtpSink({ starttls: true });
    try {
      useSink(tlsSink);
      const err = await sendAuthMail(deps, 'otp', 'ada@example.com', {
        collectionName: 'users',
        otp: '1',
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MailError);
      expect((err as MailError).message).toMatch(/certificate/i);
      expect(tlsSink.messages).toHaveLength(0);
    } finally {
      await tlsSink.close();
    }
  });

  test('SMTP on with an empty host → MailError, no fallback to localhost', async () => {
    hearth.settings.set({ 'smtp.enabled': true, 'smtp.host': '' });
    await expect(
      sendAuthMail(deps, 'otp', 'ada@example.com', { collectionName: 'users', otp: '1' }),
    ).rejects.toThrow(/smtp\.host is empty/);
  });

  test.skipIf(outsideAddress === undefined)(
    'a relay off loopback that offers no STARTTLS → MailError, nothing sent: no AUTH or mail in plain text',
    async () => {
      const remote = await startSmtpSink({ host: outsideAddress });
      try {
        useSink(remote, { username: 'relay-user', password: 's3cret pass' });
        const err = await sendAuthMail(deps, 'password-reset', 'ada@example.com', {
          collectionName: 'users',
          token: TOKEN,
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(MailError);
        expect((err as MailError).code).toBe('ETLS');
        expect((err as MailError).message).toContain(
          `${outsideAddress}:${remote.port} does not offer STARTTLS`,
        );
        expect(remote.messages).toHaveLength(0);
      } finally {
        await remote.close();
      }
    },
  );
});

describe('transportOptions', () => {
  const base = {
    host: 'smtp.example.com',
    port: 587,
    username: 'u',
    password: 'p',
    authMethod: 'PLAIN',
    tls: false,
    localName: '',
  };

  test.each([
    ['smtp.example.com', true],
    ['192.0.2.10', true],
    ['10.0.0.1', true],
    ['fd00::2', true],
    ['0.0.0.0', true],
    ['localhost.example.com', true],
    ['127.0.0.1', false],
    ['127.12.0.3', false],
    ['localhost', false],
    ['LOCALHOST', false],
    ['::1', false],
    ['[::1]', false],
    ['::ffff:127.0.0.1', false],
  ])('smtp.tls off, host %s → requireTLS %s', (host, required) => {
    expect(transportOptions({ ...base, host })).toMatchObject({ secure: false, requireTLS: required });
    expect(isLoopbackHost(host)).toBe(!required);
  });

  test('smtp.tls on: implicit TLS, no STARTTLS needed', () => {
    expect(transportOptions({ ...base, tls: true, port: 465 })).toMatchObject({
      secure: true,
      requireTLS: false,
    });
  });
});
