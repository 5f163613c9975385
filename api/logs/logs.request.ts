import type { MiddlewareHandler } from 'hono';
import { clientIp, normaliseIp } from '../core/client-ip';
import { ApiError } from '../core/errors';
import { requestHeader, type ApiContext, type AppEnv } from '../core/http';
import type { HearthSettings } from '../settings/registry';
import { LogLevel, type Logs } from './logs.service';

/**
 * PocketBase's activity logger (apis/middlewares.go activityLogger/logRequest): one entry per API
 * request, `"GET /api/health"` with `data = {type: "request", execTime, url, method, status, referer,
 * userAgent, auth, authId?, userIP?, remoteIP?}` and, for a request that failed, `error` and `details`.
 * A request that failed (an error thrown, turned into the error JSON by the one onError) is ERROR,
 * any other INFO, as PocketBase decides it.
 *
 * It runs before every other middleware (createApiApp's `outermost`), so refusals made before any
 * route — 413 from the body limit, 429 from the rate limits, 404 — are logged too. The request pays
 * for building the entry and a push onto an array; the disk write is batched (logs.writer.ts).
 */
export function requestLogger(logs: Logs, settings: HearthSettings): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } catch (err) {
      // Hono turns every Error into a response through onError; anything else ends up here.
      logRequest(c, logs, settings, started, err);
      throw err;
    }
    logRequest(c, logs, settings, started, c.error);
  };
}

function logRequest(
  c: ApiContext,
  logs: Logs,
  settings: HearthSettings,
  started: number,
  error: unknown,
): void {
  const level = error === undefined ? LogLevel.info : LogLevel.error;
  if (!logs.enabled(level)) return;
  if (error === undefined && c.get('skipSuccessLog')) return;
  const execTime = performance.now() - started;
  const env = c.env as AppEnv['Bindings'] | undefined;
  const incoming = env?.incoming;
  const outgoing = env?.outgoing;
  const method = cut(c.req.method.toUpperCase(), 50);
  const url = cut(redactUrl(incoming?.url ?? pathAndQuery(c.req.url)), 3000);
  // A handler that took over Node's response (realtime) has sent its own status already; an error
  // that escaped onError (one that is not an Error) becomes a 500 further out.
  let status = c.res.status;
  if (outgoing?.headersSent) status = outgoing.statusCode;
  else if (error !== undefined && c.error === undefined) status = 500;

  const data: Record<string, unknown> = { type: 'request', execTime };
  if (error !== undefined) Object.assign(data, errorDetails(error, status));
  data['url'] = url;
  data['method'] = method;
  data['status'] = status;
  data['referer'] = cut(redactUrl(requestHeader(c, 'referer') ?? ''), 2000);
  data['userAgent'] = cut(requestHeader(c, 'user-agent') ?? '', 2000);
  const auth = c.get('auth');
  data['auth'] = auth?.collectionName ?? '';
  if (auth && settings.get('logs.logAuthId')) data['authId'] = auth.id;
  if (settings.get('logs.logIP')) {
    // In-process requests (app.request) have no connection, hence no address.
    const socket = incoming?.socket.remoteAddress;
    data['userIP'] =
      clientIp(c, settings.get('trustedProxy.headers'), settings.get('trustedProxy.useLeftmostIP')) ?? '';
    data['remoteIP'] = socket ? normaliseIp(socket) : '';
  }
  logs.write(level, `${method} ${decodeForMessage(url)}`, data);
}

/** `error` (the message) and `details` (its data; for a 500, what caused it) of a failed request. */
function errorDetails(error: unknown, status: number): Record<string, unknown> {
  if (!(error instanceof ApiError)) {
    return { error: cut(error instanceof Error ? error.message : String(error), 2000) };
  }
  const cause = error.cause;
  const details =
    status >= 500 && cause !== undefined
      ? cut(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause), 2000)
      : error.data;
  return { error: error.message, details };
}

function pathAndQuery(href: string): string {
  const url = new URL(href);
  return url.pathname + url.search;
}

/** PocketBase's message is the URL path-unescaped; one that does not decode stays as it is. */
function decodeForMessage(url: string): string {
  if (!url.includes('%')) return url;
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/**
 * Query parameters whose values are secrets (compared in lower case, `-` and `_` left out): the file
 * access `token`, OAuth2's `code`/`state` and tokens, passwords and keys. A log readable by every
 * superuser and kept for days must not hand them on.
 */
const SECRET_PARAMS = new Set([
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'code',
  'state',
  'codeverifier',
  'password',
  'passwordconfirm',
  'oldpassword',
  'secret',
  'clientsecret',
  'key',
  'apikey',
  'signature',
  'otp',
]);

export const REDACTED = '[redacted]';

/** The URL (or path with query) with the value of every secret query parameter replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash);
  const rest = hash === -1 ? '' : url.slice(hash);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    return isSecretParam(name) ? `${name}=${REDACTED}` : part;
  });
  return `${url.slice(0, q + 1)}${parts.join('&')}${rest}`;
}

function isSecretParam(raw: string): boolean {
  let name = raw;
  if (name.includes('%') || name.includes('+')) {
    try {
      name = decodeURIComponent(name.replaceAll('+', ' '));
    } catch {
      // not valid percent-encoding: compared as it is
    }
  }
  return SECRET_PARAMS.has(name.trim().toLowerCase().replace(/[-_]/g, ''));
}
