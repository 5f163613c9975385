import { createServer, type AddressInfo } from 'node:net';
import { parseHeaderValue } from 'nodemailer/lib/mime-funcs';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A real SMTP server for tests: catches every mail Hearth sends so a test can read it.
 *
 * ```ts
 * const sink = await startSmtpSink();
 * await admin.settings.update({ smtp: sink.smtpSettings() });      // point Hearth at it
 * // … do what sends a mail …
 * const mail = await sink.waitFor((m) => m.envelope.to.includes(email));
 * expect(mail.subject).toBe('Verify your Hearth email');
 * const link = mail.links.find((l) => l.includes('/auth/verify#token='));
 * await sink.close();
 * ```
 *
 * It listens on 127.0.0.1 (or `options.host`) on a random port, speaks plain SMTP (no STARTTLS
 * unless asked; Hearth talks plain text to a loopback relay that offers none), accepts any AUTH
 * PLAIN/LOGIN (or only `options.auth`) and no AUTH at all, and parses each mail: decoded headers,
 * the text and HTML parts, the links in the text.
 */
export interface SinkMessage {
  /** SMTP envelope: MAIL FROM and every RCPT TO, as the relay saw them. */
  envelope: { from: string; to: string[] };
  /** Header values by lower-case name, RFC 2047 encoded words decoded (the first of repeated headers). */
  headers: Record<string, string>;
  subject: string;
  /** The From and To headers, decoded (`Support <support@example.com>`). */
  from: string;
  to: string;
  /** The first text/plain part (line breaks as `\n`), or undefined. */
  text: string | undefined;
  /** The first text/html part, or undefined. */
  html: string | undefined;
  /** Every http(s) URL in the text part, in order. */
  links: string[];
  /** The AUTH the client used on this connection, or undefined when it sent none. */
  auth: { method: string; username: string; password: string } | undefined;
  /** The message as received (headers and body, still encoded). */
  raw: string;
}

export interface SmtpSinkOptions {
  /** Accept only these credentials (535 otherwise). By default any AUTH is accepted, and none. */
  auth?: { username: string; password: string };
  /** Refuse a recipient with 550 when this returns true (a relay that rejects the mail). */
  rejectRecipient?: (address: string) => boolean;
  /** Offer STARTTLS, with smtp-server's built-in self-signed certificate (which a client must refuse). */
  starttls?: boolean;
  /**
   * The address to listen on, and the one `smtpSettings()` points Hearth at; 127.0.0.1 by default.
   * A non-loopback address of this machine makes a relay Hearth must not talk plain text to.
   */
  host?: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** Every mail received so far, oldest first. */
  readonly messages: readonly SinkMessage[];
  /**
   * Resolves with the first mail, already received or still to come, that `predicate` accepts.
   * Rejects after `timeoutMs` (default 5000) naming what did arrive.
   */
  waitFor(predicate?: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /**
   * The `smtp` part of Hearth's settings that sends to this sink:
   * `admin.settings.update({ smtp: sink.smtpSettings() })`.
   */
  smtpSettings(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Forgets the mails received so far. */
  clear(): void;
  close(): Promise<void>;
}

type SessionAuth = NonNullable<SinkMessage['auth']>;

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const waiters = new Set<(message: SinkMessage) => void>();

  const server = new SMTPServer({
    secure: false,
    disabledCommands: options.starttls ? [] : ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      const user: SessionAuth = {
        method: auth.method,
        username: auth.username ?? '',
        password: auth.password ?? '',
      };
      if (
        options.auth &&
        (user.username !== options.auth.username || user.password !== options.auth.password)
      ) {
        callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
        return;
      }
      callback(null, { user });
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        callback(Object.assign(new Error(`Mailbox ${address.address} unavailable`), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = {
          from: addressOf(session.envelope.mailFrom),
          to: session.envelope.rcptTo.map(addressOf),
        };
        const message = parseMessage(
          Buffer.concat(chunks),
          envelope,
          session.user as SessionAuth | undefined,
        );
        messages.push(message);
        for (const waiter of waiters) waiter(message);
        callback();
      });
    },
  });

  const host = options.host ?? '127.0.0.1';
  const listener = server.listen(0, host);
  await new Promise<void>((resolve, reject) => {
    listener.once('listening', resolve);
    listener.once('error', reject);
  });
  const port = (listener.address() as AddressInfo).port;

  return {
    host,
    port,
    messages,
    waitFor(predicate = () => true, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<SinkMessage>((resolve, reject) => {
        const waiter = (message: SinkMessage): void => {
          if (!predicate(message)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(message);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = messages.map((m) => `"${m.subject}" to ${m.envelope.to.join(', ')}`).join('; ');
          reject(new Error(`No matching mail within ${timeoutMs} ms (received: ${seen || 'none'})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    smtpSettings(extra = {}) {
      return { enabled: true, host, port, tls: false, username: '', ...extra };
    },
    clear() {
      messages.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound once, then released): a relay that is down. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function addressOf(address: SMTPServerAddress | false): string {
  return address ? address.address : '';
}

// --- a small MIME reader (RFC 2045-2047), enough for what nodemailer writes ---------------------

interface Entity {
  headers: Map<string, string>;
  /** The body as a binary (latin1) string: one char per byte. */
  body: string;
}

export function parseMessage(
  raw: Buffer,
  envelope: SinkMessage['envelope'],
  auth?: SessionAuth,
): SinkMessage {
  const root = readEntity(raw.toString('latin1'));
  const parts: { text?: string; html?: string } = {};
  collectParts(root, parts);
  const headers: Record<string, string> = {};
  for (const [name, value] of root.headers) headers[name] = decodeWords(value);
  return {
    envelope,
    headers,
    subject: headers['subject'] ?? '',
    from: headers['from'] ?? '',
    to: headers['to'] ?? '',
    text: parts.text,
    html: parts.html,
    links: [...(parts.text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]),
    auth,
    raw: raw.toString('utf8'),
  };
}

function readEntity(source: string): Entity {
  const end = /\r?\n\r?\n/.exec(source);
  const head = end ? source.slice(0, end.index) : source;
  const body = end ? source.slice(end.index + end[0].length) : '';
  const headers = new Map<string, string>();
  // Unfolding (RFC 5322 2.2.3): a line break followed by white space continues the header.
  for (const line of head.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function collectParts(entity: Entity, out: { text?: string; html?: string }): void {
  const type = parseHeaderValue(entity.headers.get('content-type') ?? 'text/plain');
  const mime = type.value.toLowerCase();
  if (mime.startsWith('multipart/')) {
    const boundary = type.params['boundary'];
    if (!boundary) return;
    for (const part of splitMultipart(entity.body, boundary)) collectParts(readEntity(part), out);
    return;
  }
  if (/^\s*attachment/i.test(entity.headers.get('content-disposition') ?? '')) return;
  if (mime !== 'text/plain' && mime !== 'text/html') return;
  const bytes = decodeTransfer(entity.body, entity.headers.get('content-transfer-encoding') ?? '7bit');
  const text = decodeCharset(bytes, type.params['charset'] ?? 'us-ascii').replace(/\r\n/g, '\n');
  if (mime === 'text/plain') out.text ??= text;
  else out.html ??= text;
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | null = null;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) break;
    if (trimmed === `--${boundary}`) {
      if (current) parts.push(current.join('\r\n'));
      current = [];
    } else {
      current?.push(line);
    }
  }
  if (current) parts.push(current.join('\r\n'));
  return parts;
}

function decodeTransfer(body: string, encoding: string): Buffer {
  switch (encoding.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body.replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, ''));
    default:
      return Buffer.from(body, 'latin1');
  }
}

function decodeQuotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase() === 'us-ascii' ? 'utf-8' : charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/**
 * RFC 2047 encoded words (`=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=`). Adjacent words are joined before decoding,
 * so a character split across two words survives, and the white space between them is dropped.
 */
export function decodeWords(value: string): string {
  const word = /=\?([^?*]+)(?:\*[^?]*)?\?([QqBb])\?([^?]*)\?=/g;
  let out = '';
  let last = 0;
  // Held in an object so TypeScript does not narrow it through the closure below.
  const state: { pending: { charset: string; bytes: Buffer[] } | null } = { pending: null };
  const flush = (): void => {
    const { pending } = state;
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset);
    state.pending = null;
  };
  for (const m of value.matchAll(word)) {
    const between = value.slice(last, m.index);
    if (!(state.pending && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const charset = m[1]!.toLowerCase();
    const data = m[3]!;
    const bytes =
      m[2]!.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64')
        : decodeQuotedPrintable(data.replace(/_/g, ' '));
    if (state.pending?.charset === charset) state.pending.bytes.push(bytes);
    else {
      flush();
      state.pending = { charset, bytes: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}
