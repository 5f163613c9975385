import i18next from 'i18next';
import { DEFAULT_LANGUAGE, isLanguage, type LanguageCode } from '../../web/lib/i18n/languages';

/** PocketBase's mail template names (forms/test_email_send.go), one per auth mail. */
export const AUTH_MAIL_KINDS = [
  'verification',
  'password-reset',
  'email-change',
  'otp',
  'login-alert',
] as const;
export type AuthMailKind = (typeof AUTH_MAIL_KINDS)[number];

export interface AuthMailVars {
  collectionName: string;
  /** A language tag (`de`, `de-AT`); anything Hearth has no mails in falls back to English. */
  lang?: string;
  /** The one-time token of verification, password-reset and email-change links. */
  token?: string;
  /** The one-time code of an otp mail. */
  otp?: string;
  /** The address the mail talks about (the new one for email-change); defaults to the recipient. */
  email?: string;
}

export interface RenderedMail {
  lang: LanguageCode;
  subject: string;
  text: string;
  html: string;
}

/** Where each kind's link leads: a page of the web app that reads the token from the fragment. */
const ACTION_PATHS: Partial<Record<AuthMailKind, string>> = {
  verification: '/auth/verify',
  'password-reset': '/auth/reset-password',
  'email-change': '/auth/confirm-email',
};

/**
 * locales/<lng>/mail.json, the same files the web app's i18next loads (one source of strings;
 * web/lib/i18n/locales.test.ts checks that every language has every key). Bundled at build time.
 */
const files = import.meta.glob<Record<string, unknown>>('/locales/*/mail.json', {
  eager: true,
  import: 'default',
});
const resources: Record<string, { mail: Record<string, unknown> }> = {};
for (const [path, content] of Object.entries(files)) {
  const lng = /\/locales\/([^/]+)\/mail\.json$/.exec(path)?.[1];
  if (lng) resources[lng] = { mail: content };
}

// A server-side instance of its own: the web app's instance is bundled for the browser and SSR.
// Values are inserted raw and the finished strings escaped for HTML here, so a translator's
// apostrophe and a user's `<` are treated alike. skipOnVariables (i18next's default) keeps `{{…}}`
// and `$t(…)` inside a value literal.
const i18n = i18next.createInstance();
void i18n.init({
  resources,
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  ns: ['mail'],
  defaultNS: 'mail',
  interpolation: { escapeValue: false, skipOnVariables: true },
  initAsync: false,
  returnNull: false,
});

/** The language a mail is written in: `lang`'s primary subtag when Hearth has mails in it, else English. */
export function mailLanguage(lang: string | undefined): LanguageCode {
  const base = (lang ?? '').trim().toLowerCase().split(/[-_]/)[0];
  return isLanguage(base) && resources[base] ? base : DEFAULT_LANGUAGE;
}

/** The link a mail of `kind` carries, or null for kinds without one (otp, login-alert). */
export function actionLink(kind: AuthMailKind, appURL: string, token: string | undefined): string | null {
  const path = ACTION_PATHS[kind];
  if (!path) return null;
  if (!token) throw new Error(`A ${kind} mail needs a token`);
  // The token rides in the fragment: browsers never send it to a server, in a request or a Referer.
  return `${appURL.replace(/\/+$/, '')}${path}#token=${encodeURIComponent(token)}`;
}

/**
 * Renders one auth mail: subject, plain text and HTML, in `vars.lang` (English when missing or not
 * shipped). Every variable is escaped in the HTML part. Only the one-time token or code goes in.
 */
export function renderAuthMail(
  kind: AuthMailKind,
  to: string,
  vars: AuthMailVars,
  meta: { appName: string; appURL: string },
): RenderedMail {
  const lang = mailLanguage(vars.lang);
  const fixed = i18n.getFixedT(lang, 'mail');
  const values = { appName: meta.appName, email: vars.email ?? to };
  const t = (key: string): string => fixed(key, values) as string;
  const link = actionLink(kind, meta.appURL, vars.token);
  if (kind === 'otp' && !vars.otp) throw new Error('An otp mail needs a code');
  const has = (key: string): boolean => i18n.exists(`${kind}.${key}`, { lng: lang, ns: 'mail' });

  const subject = t(`${kind}.subject`);
  const lead = [t('greeting'), t(`${kind}.intro`), ...(has('instruction') ? [t(`${kind}.instruction`)] : [])];
  const closing = [t(`${kind}.ignore`), t('signature')];

  const text = [...lead, ...(link ? [link] : []), ...(vars.otp ? [vars.otp] : []), ...closing].join('\n\n');

  const html = [
    '<!doctype html>',
    `<html lang="${lang}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:16px;line-height:1.5;color:#1f2328;background:#ffffff">',
    '<div style="max-width:560px;margin:0 auto">',
    ...lead.map(paragraph),
    ...(link ? actionButton(link, t(`${kind}.action`), t('fallback')) : []),
    ...(vars.otp
      ? [
          `<p style="font-size:28px;font-weight:700;letter-spacing:6px;font-family:ui-monospace,Menlo,Consolas,monospace">${escapeHtml(vars.otp)}</p>`,
        ]
      : []),
    ...closing.map(paragraph),
    '</div>',
    '</body>',
    '</html>',
  ].join('\n');

  return { lang, subject, text, html };
}

function actionButton(link: string, label: string, fallback: string): string[] {
  const href = escapeHtml(link);
  return [
    `<p><a href="${href}" target="_blank" rel="noopener" style="display:inline-block;padding:10px 20px;border-radius:6px;background:#c2410c;color:#ffffff;text-decoration:none;font-weight:600">${escapeHtml(label)}</a></p>`,
    `<p style="font-size:13px;color:#59636e">${escapeHtml(fallback)}<br><a href="${href}" style="color:#59636e;word-break:break-all">${href}</a></p>`,
  ];
}

/** A paragraph of text; line breaks in a translation (the signature) become `<br>`. */
function paragraph(text: string): string {
  return `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
