import { randomBytes } from 'node:crypto';
import type { AuthRecord } from '../core/http';

/**
 * Realtime clients: one per open `GET /api/realtime` stream (Server-Sent Events), each with the
 * subscriptions its last `POST /api/realtime` set. Writes go through a byte-counted stream queue; a
 * client that does not read falls behind, and past MAX_BUFFERED bytes it is dropped (the SDK
 * reconnects), so a slow or vanished subscriber cannot make the server's memory grow.
 */
export const MAX_BUFFERED = 1024 * 1024;
/** PocketBase closes a connection that had nothing to send for 5 minutes; the SDK reconnects. */
export const IDLE_TIMEOUT_MS = 5 * 60 * 1000;

export interface Subscription {
  /** The subscription as the client sent it: the SSE event name, options included. */
  raw: string;
  /** Collection id or name, and `*` or a record id, for record topics; null for other topics. */
  collection: string | null;
  record: string;
  query: { filter?: string; expand?: string; fields?: string };
  headers: Record<string, string>;
}

const encoder = new TextEncoder();

export class RealtimeClient {
  readonly id = randomBytes(20).toString('base64url');
  readonly stream: ReadableStream<Uint8Array>;
  subscriptions = new Map<string, Subscription>();
  /** The auth bound by the last POST (PocketBase refuses a later POST by someone else). */
  auth: AuthRecord | undefined;
  lastSent = Date.now();
  closed = false;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly #onClose: (client: RealtimeClient) => void;

  constructor(onClose: (client: RealtimeClient) => void) {
    this.#onClose = onClose;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        cancel: () => this.close(),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
  }

  /** Sends one SSE message; drops the client when it has fallen too far behind. */
  send(event: string, data: unknown): void {
    if (this.closed) return;
    if ((this.#controller.desiredSize ?? 0) < -MAX_BUFFERED) {
      this.close();
      return;
    }
    this.#controller.enqueue(
      encoder.encode(`id:${this.id}\nevent:${event}\ndata:${JSON.stringify(data)}\n\n`),
    );
    this.lastSent = Date.now();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.#controller.close();
    } catch {
      // already closed or errored by the consumer
    }
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
