import { BlockList, isIP } from 'node:net';
import { createTransport, type Transporter } from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import type { Logger } from '../core/logger';
import type { HearthSettings } from '../settings/registry';
import { renderAuthMail, type AuthMailKind, type AuthMailVars } from './mail.render';

/** What sending needs: settings are read at send time, so a change applies to the next mail. */
export interface MailDeps {
  settings: HearthSettings;
  logger: Logger;
}

/** The relay refused the mail or could not be reached; `message` is the relay's or the socket's. */
export class MailError extends Error {
  override name = 'MailError';
  /** nodemailer's code: ECONNECTION, ETIMEDOUT, EAUTH, EENVELOPE, EMESSAGE, EDNS … */
  readonly code: string | undefined;
  /** The SMTP reply code when the relay answered (550, 535 …). */
  readonly responseCode: number | undefined;

  constructor(message: string, options: { cause?: unknown; code?: string; responseCode?: number } = {}) {
    super(message, { cause: options.cause });
    this.code = options.code;
    this.responseCode = options.responseCode;
  }
}

/** One mail, ready for the relay. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Renders the template in `lang` (falls back to en) and sends it to `to`; resolves once the relay
 * accepted it. With `smtp.enabled` off it logs subject and recipient at info level ("SMTP is off;
 * not sent") and resolves, so sign-up works on a fresh install. Rejects with MailError when the relay
 * refuses the mail or cannot be reached.
 */
export async function sendAuthMail(
  deps: MailDeps,
  kind: AuthMailKind,
  to: string,
  vars: AuthMailVars,
): Promise<void> {
  const mail = renderAuthMail(kind, to, vars, {
    appName: deps.settings.get('meta.appName'),
    appURL: deps.settings.get('meta.appURL'),
  });
  const sent = await sendMail(deps, { to, subject: mail.subject, text: mail.text, html: mail.html });
  const context = { kind, collection: vars.collectionName, lang: mail.lang, to, subject: mail.subject };
  if (sent) deps.logger.info(context, 'mail sent');
  else deps.logger.info(context, 'SMTP is off; not sent');
}

/**
 * Sends one mail through the relay in the settings. Resolves true once the relay accepted it, false
 * without sending when `smtp.enabled` is off (the caller decides what that means).
 */
export async function sendMail(deps: MailDeps, mail: OutgoingMail): Promise<boolean> {
  const { settings } = deps;
  if (!settings.get('smtp.enabled')) return false;
  const config = smtpConfig(settings);
  // An empty host would make nodemailer fall back to localhost: say what is wrong instead.
  if (config.host === '') throw new MailError('SMTP is on but smtp.host is empty.');
  try {
    await transportFor(settings, config).sendMail({
      from: { name: settings.get('meta.senderName'), address: settings.get('meta.senderAddress') },
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    return true;
  } catch (err) {
    throw toMailError(err, config);
  }
}

type SmtpConfig = ReturnType<typeof smtpConfig>;

function smtpConfig(settings: HearthSettings) {
  return {
    host: settings.get('smtp.host'),
    port: settings.get('smtp.port'),
    username: settings.get('smtp.username'),
    password: settings.get('smtp.password'),
    authMethod: settings.get('smtp.authMethod'),
    tls: settings.get('smtp.tls'),
    localName: settings.get('smtp.localName'),
  };
}

// One transport per Hearth (settings store), kept while the relay settings stay the same: a change
// makes a new one on the next send.
const transports = new WeakMap<HearthSettings, { key: string; transport: Transporter }>();

function transportFor(settings: HearthSettings, config: SmtpConfig): Transporter {
  const key = JSON.stringify(config);
  const cached = transports.get(settings);
  if (cached?.key === key) return cached.transport;
  cached?.transport.close();
  const transport = createTransport(transportOptions(config));
  transports.set(settings, { key, transport });
  return transport;
}

/**
 * nodemailer's options for the relay in `config`. As PocketBase's `tls`: true is TLS from the first
 * byte (465). With it false, a relay on another host must upgrade with STARTTLS (`requireTLS`) and
 * then show a valid certificate: a man in the middle who strips STARTTLS from the relay's EHLO would
 * otherwise get the AUTH password and every reset link in plain text. Only a relay on loopback (a
 * local MTA) may speak plain SMTP, and it still gets STARTTLS when it offers it.
 */
export function transportOptions(config: SmtpConfig): SMTPTransportOptions {
  return {
    host: config.host,
    port: config.port,
    secure: config.tls,
    requireTLS: !config.tls && !isLoopbackHost(config.host),
    name: config.localName || 'localhost',
    ...(config.username
      ? { auth: { user: config.username, pass: config.password }, authMethod: config.authMethod }
      : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // Mails are built from strings only: never let a value read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for `localhost`, 127.0.0.0/8 and ::1 (also bracketed, or IPv4-mapped): relays whose traffic
 * never leaves this machine. Any other name is not trusted, even one that resolves to loopback.
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h === 'localhost' || h === 'localhost.') return true;
  const family = isIP(h);
  return family !== 0 && loopback.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

function toMailError(err: unknown, config: SmtpConfig): MailError {
  if (err instanceof MailError) return err;
  const e = err as {
    message?: unknown;
    code?: unknown;
    responseCode?: unknown;
    command?: unknown;
    response?: unknown;
  };
  let message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  // requireTLS (transportOptions): the relay refused or did not offer STARTTLS. nodemailer's
  // "Error upgrading connection with STARTTLS" does not say why nothing was sent.
  if (e.code === 'ETLS' && e.command === 'STARTTLS' && typeof e.response === 'string') {
    message =
      `The relay ${config.host}:${config.port} does not offer STARTTLS (it answered "${e.response}"); ` +
      'Hearth sends neither the password nor mail in plain text to a relay that is not on this machine. ' +
      'Use a relay that offers STARTTLS, or implicit TLS (smtp.tls on, usually port 465).';
  }
  return new MailError(message, {
    cause: err,
    code: typeof e.code === 'string' ? e.code : undefined,
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined,
  });
}
