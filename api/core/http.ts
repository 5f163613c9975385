import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SqliteError } from 'better-sqlite3';
import { ApiError } from './errors';
import type { Logger } from './logger';

/** The signed-in record of a request, resolved from the `Authorization` header by the auth capability. */
export interface AuthRecord {
  id: string;
  collectionId: string;
  collectionName: string;
  email: string;
  /** The record's stored column values, for `@request.auth.*` in rules. */
  row: Record<string, unknown>;
  /** False for tokens auth-refresh must not renew (impersonation). */
  refreshable: boolean;
}

/**
 * `auth` is set by the auth capability's middleware when the request carries a valid token.
 * `incoming`/`outgoing` are Node's request and response when served by @hono/node-server (absent in
 * `app.request()` tests).
 */
export type AppEnv = {
  Variables: { auth?: AuthRecord; skipSuccessLog?: true };
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
};
export type ApiApp = Hono<AppEnv>;
export type ApiContext = Context<AppEnv>;

export const SUPERUSERS = { id: 'pbc_3142635823', name: '_superusers' } as const;

export interface ApiAppOptions {
  logger: Logger;
  /** Read per request so a settings change applies at once. */
  maxBodySize: () => number;
  /**
   * Paths whose multipart bodies the upload reader streams (api/files/files.upload.ts) under its own
   * limits (each file field's maxSize): the general limit does not apply to them.
   */
  uploadPaths?: RegExp[];
  /**
   * Middleware that runs before all the others, the body limit included: the request log, which
   * must see the requests refused with 413 too.
   */
  outermost?: MiddlewareHandler<AppEnv>[];
}

/**
 * The Hono app behind `/api/`. Errors are turned into PocketBase's `{status, message, data}` here and
 * nowhere else; the cause of a 500 goes to the log, never to the client.
 */
export function createApiApp(options: ApiAppOptions): ApiApp {
  const app = new Hono<AppEnv>();

  for (const middleware of options.outermost ?? []) app.use('*', middleware);
  app.use('*', limitBody(options.maxBodySize, options.uploadPaths ?? []));

  app.notFound(() => {
    throw ApiError.notFound();
  });

  app.onError((err, c) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500) {
      options.logger.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    }
    return c.json(apiError.toJSON(), apiError.status as 400, apiError.headers);
  });

  return app;
}

/**
 * Rejects bodies over the limit without reading them: at once from Content-Length, or as soon as a
 * chunked body passes the limit. Unlike hono/body-limit it never buffers the body, so later streaming
 * uploads keep flat memory. Multipart bodies to `uploadPaths` are left to the upload reader.
 */
function limitBody(maxBodySize: () => number, uploadPaths: RegExp[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Only the headers are looked at first: touching `body` makes @hono/node-server build a full
    // Request, which cost a GET more than half of its throughput (docs/BENCHMARKS.md).
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (isMultipart(c) && uploadPaths.some((p) => p.test(c.req.path))) return next();
    const chunked = requestHeader(c, 'transfer-encoding') !== undefined;
    const length = requestHeader(c, 'content-length');
    if (!chunked) {
      if (length !== undefined && Number(length) > maxBodySize()) throw ApiError.tooLarge();
      return next();
    }
    const body = c.req.raw.body;
    if (!body) return next();
    const max = maxBodySize();
    let seen = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > max) controller.error(ApiError.tooLarge());
          else controller.enqueue(chunk);
        },
      }),
    );
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: 'half' } as RequestInit);
    return next();
  };
}

export function isMultipart(c: ApiContext): boolean {
  return (requestHeader(c, 'content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SqliteError) {
    // A full disk or a lock held past busy_timeout is the server's state, not a bug: say so.
    // A trigger's RAISE(ABORT, message) is a rule of the data (e.g. notes' version steps): the
    // request broke it, and the message was written for people.
    if (err.code === 'SQLITE_CONSTRAINT_TRIGGER') return new ApiError(400, err.message, { cause: err });
    if (err.code === 'SQLITE_FULL')
      return new ApiError(507, 'Not enough disk space to store this.', { cause: err });
    if (err.code.startsWith('SQLITE_BUSY')) {
      return new ApiError(503, 'The database is busy, please retry.', {
        cause: err,
        headers: { 'retry-after': '1' },
      });
    }
  }
  if (err instanceof HTTPException) return new ApiError(err.status, err.message, { cause: err });
  return ApiError.internal(err);
}

/**
 * One request header, read from Node's own parsed headers when there are some: `c.req.header()`
 * makes @hono/node-server build a Headers object for the whole request, a cost every request paid
 * for the Authorization check: about 10 % of throughput (docs/BENCHMARKS.md).
 */
export function requestHeader(c: ApiContext, name: string): string | undefined {
  const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Reads a JSON object body, or fails with PocketBase's 400. With `optional`, an empty body reads
 * as `{}` (for endpoints whose fields all have defaults).
 */
export async function readJsonBody(
  c: ApiContext,
  options: { optional?: boolean } = {},
): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    const raw = await c.req.text();
    if (options.optional && raw.trim() === '') return {};
    body = JSON.parse(raw);
  } catch (err) {
    if (err instanceof ApiError) throw err; // 413 from the body limit
    throw ApiError.badRequest('Failed to read the request body as JSON.', undefined, err);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ApiError.badRequest('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/**
 * PocketBase's SkipSuccessActivityLog: the request log (api/logs) keeps this route's requests only
 * when they fail. For routes whose successes are noise (health probes every few seconds) or whose
 * URL carries secrets (the OAuth2 redirect).
 */
export const skipSuccessLog: MiddlewareHandler<AppEnv> = (c, next) => {
  c.set('skipSuccessLog', true);
  return next();
};

/** PocketBase's RequireSuperuserAuth: 401 without a token, 403 for any other record. */
export function requireSuperuser(c: ApiContext): AuthRecord {
  const auth = c.get('auth');
  if (!auth) throw ApiError.unauthorized('The request requires valid record authorization token.');
  if (auth.collectionName !== SUPERUSERS.name) {
    throw ApiError.forbidden('The authorized record is not allowed to perform this action.');
  }
  return auth;
}
