import { describe, expect, test } from 'vitest';
import { actionLink, AUTH_MAIL_KINDS, escapeHtml, mailLanguage, renderAuthMail } from './mail.render';

const meta = { appName: 'Family Cloud', appURL: 'https://cloud.example.org' };
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjEyMyJ9.c2lnbmF0dXJl';

describe('renderAuthMail', () => {
  test.each([
    ['verification', 'en', 'Verify your Family Cloud email', `${meta.appURL}/auth/verify#token=${TOKEN}`],
    [
      'verification',
      'de',
      'Bestätige deine E-Mail-Adresse für Family Cloud',
      `${meta.appURL}/auth/verify#token=${TOKEN}`,
    ],
    [
      'password-reset',
      'en',
      'Reset your Family Cloud password',
      `${meta.appURL}/auth/reset-password#token=${TOKEN}`,
    ],
    [
      'password-reset',
      'de',
      'Setze dein Passwort für Family Cloud zurück',
      `${meta.appURL}/auth/reset-password#token=${TOKEN}`,
    ],
    [
      'email-change',
      'en',
      'Confirm your new Family Cloud email address',
      `${meta.appURL}/auth/confirm-email#token=${TOKEN}`,
    ],
    [
      'email-change',
      'de',
      'Bestätige deine neue E-Mail-Adresse für Family Cloud',
      `${meta.appURL}/auth/confirm-email#token=${TOKEN}`,
    ],
  ] as const)(
    '%s in %s: subject, link in the text, button and link in the HTML',
    (kind, lang, subject, link) => {
      const mail = renderAuthMail(
        kind,
        'ada@example.com',
        { collectionName: 'users', lang, token: TOKEN },
        meta,
      );
      expect(mail.lang).toBe(lang);
      expect(mail.subject).toBe(subject);
      expect(mail.text).toContain(`\n\n${link}\n\n`);
      expect(mail.text).toContain('ada@example.com');
      expect(mail.html).toContain(`<html lang="${lang}">`);
      expect(mail.html.match(new RegExp(`href="${escapeRegExp(link)}"`, 'g'))).toHaveLength(2);
      expect(mail.html).toContain(`<title>${escapeHtml(subject)}</title>`);
    },
  );

  test('English and German texts differ throughout, and each keeps its signature', () => {
    const vars = { collectionName: 'users', token: TOKEN };
    const en = renderAuthMail('password-reset', 'ada@example.com', { ...vars, lang: 'en' }, meta);
    const de = renderAuthMail('password-reset', 'ada@example.com', { ...vars, lang: 'de' }, meta);
    expect(en.text).toMatch(
      /^Hello,\n\nSomeone asked to reset the password of your Family Cloud account ada@example.com\./,
    );
    expect(en.text).toMatch(/Thanks,\nFamily Cloud team$/);
    expect(de.text).toMatch(
      /^Hallo,\n\nJemand möchte das Passwort deines Family Cloud-Kontos ada@example.com zurücksetzen\./,
    );
    expect(de.text).toMatch(/Viele Grüße\ndein Family Cloud-Team$/);
    expect(de.html).toContain('<p>Viele Grüße<br>dein Family Cloud-Team</p>');
    expect(de.html).toContain('>Passwort zurücksetzen</a>');
  });

  test('otp carries the code and no link; login-alert carries neither', () => {
    const otp = renderAuthMail('otp', 'ada@example.com', { collectionName: 'users', otp: '482913' }, meta);
    expect(otp.subject).toBe('Your Family Cloud sign-in code');
    expect(otp.text).toContain('\n\n482913\n\n');
    expect(otp.html).toMatch(/<p style="[^"]*">482913<\/p>/);
    expect(otp.html).not.toContain('href=');
    const alert = renderAuthMail(
      'login-alert',
      'ada@example.com',
      { collectionName: 'users', lang: 'de' },
      meta,
    );
    expect(alert.subject).toBe('Neue Anmeldung bei deinem Family Cloud-Konto');
    expect(alert.text).toContain('ada@example.com');
    expect(alert.html).not.toContain('href=');
  });

  test('`email` names the address the mail is about; the recipient otherwise', () => {
    const mail = renderAuthMail(
      'email-change',
      'new@example.com',
      { collectionName: 'users', token: TOKEN, email: 'other@example.com' },
      meta,
    );
    expect(mail.text).toContain('to other@example.com.');
  });

  test.each([
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['de-AT', 'de'],
    ['DE_ch', 'de'],
    ['en-US', 'en'],
    ['fr', 'en'],
    ['fr-FR,de;q=0.9', 'en'],
  ])('lang %j → %s', (lang, expected) => {
    expect(mailLanguage(lang)).toBe(expected);
    const mail = renderAuthMail(
      'otp',
      'a@b.co',
      { collectionName: 'users', otp: '1', ...(lang ? { lang } : {}) },
      meta,
    );
    expect(mail.lang).toBe(expected);
  });

  test('every variable is escaped in the HTML and kept literal in the text', () => {
    const hostile = {
      appName: `<script>alert(1)</script> "Q" & 'A' {{email}} $t(otp.subject)`,
      appURL: 'https://cloud.example.org/"><img src=x onerror=alert(1)>',
    };
    const mail = renderAuthMail(
      'verification',
      'x@example.com',
      { collectionName: 'users', token: '"><b>t</b>', email: '<i>e</i>@example.com' },
      hostile,
    );
    expect(mail.html).not.toMatch(/<script|<img|<b>|<i>/);
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot; &amp; &#39;A&#39;');
    expect(mail.html).toContain('&lt;i&gt;e&lt;/i&gt;@example.com');
    expect(mail.html).not.toMatch(/href="[^"]*"[^>]*onerror/);
    // Values are not interpolated or nested again (i18next skipOnVariables).
    expect(mail.subject).toBe(`Verify your ${hostile.appName} email`);
    expect(mail.text).toContain(`#token=${encodeURIComponent('"><b>t</b>')}`);
  });

  test('a link kind without a token, or an otp mail without a code, is a programming error', () => {
    expect(() => renderAuthMail('verification', 'a@b.co', { collectionName: 'users' }, meta)).toThrow(
      /token/,
    );
    expect(() => renderAuthMail('otp', 'a@b.co', { collectionName: 'users' }, meta)).toThrow(/code/);
  });

  test('links are built from meta.appURL without a doubled slash', () => {
    expect(actionLink('verification', 'http://127.0.0.1:8090/', 'abc')).toBe(
      'http://127.0.0.1:8090/auth/verify#token=abc',
    );
    expect(actionLink('password-reset', 'https://x.org/cloud//', 'a b')).toBe(
      'https://x.org/cloud/auth/reset-password#token=a%20b',
    );
    expect(actionLink('otp', 'https://x.org', 'abc')).toBeNull();
  });

  test('every kind renders in every language without a missing key', () => {
    for (const kind of AUTH_MAIL_KINDS) {
      for (const lang of ['en', 'de']) {
        const mail = renderAuthMail(
          kind,
          'a@b.co',
          { collectionName: 'users', lang, token: 't', otp: '1' },
          meta,
        );
        // i18next answers a missing key with the key itself.
        expect(`${mail.subject}\n${mail.text}`, `${kind}/${lang}`).not.toMatch(
          new RegExp(
            `\\b${kind}\\.(subject|intro|instruction|action|ignore)\\b|\\b(greeting|signature|fallback)\\b`,
          ),
        );
      }
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
