import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AuthRecord } from '../core/http';

/**
 * Realtime clients: one per open `GET /api/realtime` stream (Server-Sent Events), each with the
 * subscriptions its last `POST /api/realtime` set. A client that does not read falls behind, and once
 * more than MAX_BUFFERED bytes wait for it, it is dropped (the SDK reconnects), so a slow or vanished
 * subscriber cannot make the server's memory grow.
 */
export const MAX_BUFFERED = 1024 * 1024;
/** PocketBase closes a connection that had nothing to send for 5 minutes; the SDK reconnects. */
export const IDLE_TIMEOUT_MS = 5 * 60 * 1000;
/**
 * No stream stays open longer than this (PocketBase has no such limit): the auth a client bound with
 * its POST is a snapshot, so it goes stale at most this long before the SDK reconnects and subscribes
 * again with its current token. Each client gets 90–100 % of it, so clients that connected together
 * (after a restart) do not all come back at the same moment.
 */
export const MAX_LIFETIME_MS = 24 * 60 * 60 * 1000;
let maxLifetimeMs = MAX_LIFETIME_MS;

/** For tests: the lifetime of streams opened from now on; no argument restores MAX_LIFETIME_MS. */
export function setMaxLifetimeMs(ms = MAX_LIFETIME_MS): void {
  maxLifetimeMs = ms;
}

export interface Subscription {
  /** The subscription as the client sent it: the SSE event name, options included. */
  raw: string;
  /** Collection id or name, and `*` or a record id, for record topics; null for other topics. */
  collection: string | null;
  record: string;
  query: { filter?: string; expand?: string; fields?: string };
  headers: Record<string, string>;
}

export class RealtimeClient {
  readonly id = randomBytes(20).toString('base64url');
  subscriptions = new Map<string, Subscription>();
  /** The auth bound by the last POST (PocketBase refuses a later POST by someone else). */
  auth: AuthRecord | undefined;
  lastSent = Date.now();
  closed = false;
  readonly #res: ServerResponse;
  readonly #onClose: (client: RealtimeClient) => void;
  readonly #expiry: NodeJS.Timeout;

  /**
   * Writes straight to Node's response: a web ReadableStream per connection (Hono's streaming path)
   * cost more than twice a bare SSE server's memory per client (docs/BENCHMARKS.md, realtime).
   */
  constructor(res: ServerResponse, onClose: (client: RealtimeClient) => void) {
    this.#res = res;
    this.#onClose = onClose;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.on('close', () => this.close({ drop: true }));
    // The timer never keeps the process alive.
    this.#expiry = setTimeout(() => this.close(), maxLifetimeMs * (0.9 + 0.1 * Math.random())).unref();
  }

  /** Sends one SSE message; drops the client when it has fallen too far behind. */
  send(event: string, data: unknown): void {
    this.sendJSON(event, JSON.stringify(data));
  }

  /** send() with the data already serialized (one event's JSON is shared by like subscribers). */
  sendJSON(event: string, json: string): void {
    if (this.closed) return;
    if (this.#res.writableLength > MAX_BUFFERED) {
      this.close({ drop: true });
      return;
    }
    this.#res.write(`id:${this.id}\nevent:${event}\ndata:${json}\n\n`);
    this.lastSent = Date.now();
  }

  /**
   * Ends the stream (shutdown, idle timeout, lifetime). `drop` cuts the connection instead: a client
   * that stopped reading would otherwise keep its queued bytes in memory.
   */
  close(options: { drop?: boolean } = {}): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.#expiry);
    if (options.drop) this.#res.destroy();
    else this.#res.end();
    this.#onClose(this);
  }
}

export const MAX_SUBSCRIPTIONS = 1000;
export const MAX_SUBSCRIPTION_LENGTH = 2500;

/**
 * Parses `COLLECTION/*`, `COLLECTION/RECORD_ID` or any other topic, each optionally followed by
 * `?options={"query":{…},"headers":{…}}` (what the SDK appends). Throws on malformed options.
 */
export function parseSubscription(raw: string): Subscription {
  const q = raw.indexOf('?');
  const topic = q === -1 ? raw : raw.slice(0, q);
  let query: Subscription['query'] = {};
  let headers: Record<string, string> = {};
  if (q !== -1) {
    const options = new URLSearchParams(raw.slice(q + 1)).get('options');
    if (options) {
      const parsed = JSON.parse(options) as {
        query?: Record<string, unknown>;
        headers?: Record<string, unknown>;
      };
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      query = {
        filter: text(parsed.query?.['filter']),
        expand: text(parsed.query?.['expand']),
        fields: text(parsed.query?.['fields']),
      };
      headers = Object.fromEntries(
        Object.entries(parsed.headers ?? {})
          .filter(([, v]) => typeof v === 'string')
          .map(([k, v]) => [k.toLowerCase().replaceAll('-', '_'), v as string]),
      );
    }
  }
  const slash = topic.indexOf('/');
  if (slash <= 0 || slash === topic.length - 1) return { raw, collection: null, record: '', query, headers };
  return { raw, collection: topic.slice(0, slash), record: topic.slice(slash + 1), query, headers };
}
