import { isIPv6 } from 'node:net';

/**
 * Fixed windows per client: a window opens with a client's first request under a rule, counts the
 * requests it lets through, and closes `duration` later. Only requests let through are counted, as
 * in PocketBase (apis/middlewares_rate_limit.go), so a client shut out is back at the full
 * allowance once the window closes. Unlike PocketBase's window, which reopens only `duration` after
 * the last request let through, ours is anchored at its first request: a client that makes one
 * request a minute is never shut out by "30 per 15 minutes".
 *
 * Memory is bounded: a closed window is the same as no window, so closed ones are dropped (at most
 * once a minute, in one pass), and past `maxKeys` the oldest go first — a client that rotates
 * addresses to fill the table only frees its own earlier windows sooner.
 */
export interface WindowRule {
  maxRequests: number;
  windowMs: number;
}

interface Window {
  /** When it closes (the clock's ms). */
  end: number;
  count: number;
}

/** What `take` counted, for `refund`. */
export type Taken = readonly object[];

const SWEEP_EVERY_MS = 60_000;

export class WindowStore {
  readonly #windows = new Map<string, Window>();
  readonly #maxKeys: number;
  readonly #now: () => number;
  #sweptAt: number;

  constructor(options: { maxKeys?: number; now?: () => number } = {}) {
    this.#maxKeys = options.maxKeys ?? 50_000;
    this.#now = options.now ?? (() => performance.now());
    this.#sweptAt = this.#now();
  }

  get size(): number {
    return this.#windows.size;
  }

  /**
   * Counts one request in the window of each key (`keys[i]` under `rules[i]`) when every one of them
   * has room: `wait` is 0 and `taken` can give the request back (`refund`). Otherwise nothing is
   * counted and `wait` is the ms until every full window has closed.
   */
  take(keys: readonly string[], rules: readonly WindowRule[]): { wait: number; taken: Taken } {
    const now = this.#now();
    if (now - this.#sweptAt >= SWEEP_EVERY_MS) this.#sweep(now);
    let wait = 0;
    const windows: Window[] = [];
    for (const [i, key] of keys.entries()) {
      const w = this.#windows.get(key);
      if (w === undefined || w.end <= now) continue;
      if (w.count >= rules[i]!.maxRequests) wait = Math.max(wait, w.end - now);
    }
    if (wait > 0) return { wait, taken: windows };
    for (const [i, key] of keys.entries()) {
      let w = this.#windows.get(key);
      if (w === undefined || w.end <= now) {
        // A new or reopened window goes to the end of the map: the map stays roughly oldest first.
        this.#windows.delete(key);
        if (this.#windows.size >= this.#maxKeys) this.#makeRoom(now);
        w = { end: now + rules[i]!.windowMs, count: 0 };
        this.#windows.set(key, w);
      }
      w.count += 1;
      windows.push(w);
    }
    return { wait: 0, taken: windows };
  }

  /**
   * Gives back a request `take` counted. A window closed since then counts for nothing any more, and
   * the one open now (a new object) is not touched.
   */
  refund(taken: Taken): void {
    for (const w of taken as Window[]) if (w.count > 0) w.count -= 1;
  }

  clear(): void {
    this.#windows.clear();
  }

  #sweep(now: number): void {
    for (const [key, w] of this.#windows) if (w.end <= now) this.#windows.delete(key);
    this.#sweptAt = now;
  }

  /** Drops closed windows; if the table is still nearly full, the oldest tenth of it. */
  #makeRoom(now: number): void {
    this.#sweep(now);
    const target = Math.floor(this.#maxKeys * 0.9);
    if (this.#windows.size < target) return;
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < target) break;
      this.#windows.delete(key);
    }
  }
}

/**
 * Who a client is for the limiter: its IPv4 address (also when written IPv4-mapped, `::ffff:1.2.3.4`),
 * or the /64 network of its IPv6 address, since one household or server is handed a whole /64 and
 * could otherwise step through 2^64 addresses, each with a fresh allowance.
 */
export function clientKey(address: string): string {
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const zone = address.indexOf('%');
  const ip = zone === -1 ? address : address.slice(0, zone);
  if (!isIPv6(ip)) return ip;
  const gap = ip.indexOf('::');
  let groups: string[];
  if (gap === -1) {
    groups = ip.split(':');
  } else {
    const head = gap === 0 ? [] : ip.slice(0, gap).split(':');
    const tail = ip.slice(gap + 2);
    const tailGroups = tail === '' ? [] : tail.split(':');
    // An embedded IPv4 tail (`64:ff9b::1.2.3.4`) stands for the last two groups.
    const tailCount = tailGroups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
    groups = [...head, ...Array<string>(8 - head.length - tailCount).fill('0'), ...tailGroups];
  }
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
