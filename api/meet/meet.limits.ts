import { ApiError } from '../core/errors';
import { clientKey, WindowStore, type WindowRule } from '../ratelimit/ratelimit.windows';

/**
 * Meet's own rate limits, per client address, on the same fixed windows as api/ratelimit and
 * switched off with it (`rateLimits.enabled`). They are built in rather than default rules of the
 * `rateLimits` setting because a WebSocket upgrade never reaches the Hono middleware that applies
 * those, and a meeting's limits should hold together. Behind a reverse proxy, set
 * `trustedProxy.headers`, or every client shares the proxy's allowance.
 */
const RULES = {
  /** Making rooms (signed-in users only): a burst, and an hourly ceiling. */
  create: [
    { maxRequests: 10, windowMs: 60_000 },
    { maxRequests: 60, windowMs: 3600_000 },
  ],
  /** Room info and ICE servers: a page load asks once; this leaves room for reloads, not for scans. */
  lookup: [{ maxRequests: 60, windowMs: 60_000 }],
  /** WebSocket connections: a reconnecting client backs off well below this. */
  connect: [{ maxRequests: 60, windowMs: 60_000 }],
  /** Wrong meeting passwords, per address and room: slow guessing gets nowhere. */
  password: [
    { maxRequests: 5, windowMs: 60_000 },
    { maxRequests: 30, windowMs: 3600_000 },
  ],
} satisfies Record<string, WindowRule[]>;

export type LimitKind = keyof typeof RULES;

export class MeetLimiter {
  readonly #windows = new WindowStore();

  constructor(private readonly enabled: () => boolean) {}

  /**
   * Counts one request of `kind` from `address` (and `scope`): `wait` is the ms until it may go
   * ahead (0: now), and `refund` gives it back (a right password is not a guess).
   */
  take(kind: LimitKind, address: string, scope = ''): { wait: number; refund: () => void } {
    if (!this.enabled()) return { wait: 0, refund: () => {} };
    const rules = RULES[kind];
    const client = clientKey(address);
    const keys = rules.map((r) => `${kind}|${r.windowMs}|${scope}|${client}`);
    const { wait, taken } = this.#windows.take(keys, rules);
    return { wait, refund: () => this.#windows.refund(taken) };
  }

  /** As `take`, throwing PocketBase's 429 with Retry-After. */
  enforce(kind: LimitKind, address: string | undefined): void {
    if (address === undefined) return; // in-process requests (app.request) have no client
    const { wait } = this.take(kind, address);
    if (wait > 0) throw new ApiError(429, '', { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } });
  }
}

/**
 * A token bucket for one socket's messages (or bytes): `capacity` at once, refilled at `perSecond`.
 * ICE gathering sends bursts of candidates to every peer, so the burst is generous; a steady flood is not.
 */
export class TokenBucket {
  #tokens: number;
  #at = performance.now();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {
    this.#tokens = capacity;
  }

  /** Takes `amount` tokens if there are that many; nothing is taken otherwise. */
  take(amount = 1): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }
}
