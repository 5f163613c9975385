import { SUPERUSERS, type ApiContext } from '../core/http';
import type { Schema } from '../collections/collection.model';
import type { RequestContext, RequestInfo } from './request-info';

/** Who is asking, and what rules may read about the request. */
export interface RecordRequest {
  info: RequestInfo;
  isSuperuser: boolean;
}

export function isSuperuser(c: ApiContext): boolean {
  return c.get('auth')?.collectionName === SUPERUSERS.name;
}

/**
 * The RequestInfo of a Hono request. Headers are read from Node's parsed headers when served over a
 * socket (see requestHeader) and named as PocketBase exposes them: lower case, `-` → `_`.
 */
export function recordRequest(
  c: ApiContext,
  schema: Schema,
  body: Record<string, unknown> = {},
  context: RequestContext = 'default',
): RecordRequest {
  const auth = c.get('auth');
  const collection = auth ? schema.find(auth.collectionId) : undefined;
  const headers: Record<string, string> = {};
  const incoming = (
    c.env as { incoming?: { headers: Record<string, string | string[] | undefined> } } | undefined
  )?.incoming;
  if (incoming) {
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value !== undefined)
        headers[name.replaceAll('-', '_')] = Array.isArray(value) ? value.join(', ') : value;
    }
  } else {
    c.req.raw.headers.forEach((value, name) => (headers[name.toLowerCase().replaceAll('-', '_')] = value));
  }
  return {
    isSuperuser: isSuperuser(c),
    info: {
      auth: auth && collection ? { collection, record: auth.row } : null,
      method: c.req.method,
      context,
      query: c.req.query(),
      headers,
      body,
    },
  };
}
