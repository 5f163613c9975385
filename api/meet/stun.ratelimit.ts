import { formatIp, ipBytes } from './stun.message';

/**
 * Answers per source for the STUN listener (api/meet/stun.ts): a token bucket per IPv4 address or
 * IPv6 /64, with a ceiling for the whole listener and bounded memory, so the listener cannot be used
 * to flood a spoofed address.
 */
export interface StunRateLimit {
  /** Answers a source may get at once. */
  burst: number;
  /** Answers a source gets back per second after that. */
  perSecond: number;
  /** Sources remembered at most; past that, new sources wait until old ones are idle. */
  maxSources: number;
  /** Answers per second across all sources (the whole listener's ceiling). */
  globalPerSecond: number;
}

/**
 * Generous for browsers (a mesh call gathers candidates on several connections and interfaces at
 * once, often several people behind one NAT) and worthless for reflection: at ~100 bytes an answer,
 * a spoofed victim gets at most a few kB, then under 2 kB/s.
 */
export const STUN_RATE_LIMIT: StunRateLimit = {
  burst: 64,
  perSecond: 16,
  maxSources: 10_000,
  globalPerSecond: 2000,
};

interface Bucket {
  tokens: number;
  at: number;
}

const SWEEP_EVERY_MS = 1000;

/**
 * Token buckets per source: IPv4 addresses, IPv6 /64s (one subscriber's network, which a spoofer
 * could otherwise spread a flood over), plus one bucket for the whole listener. Only answers are
 * counted. Memory is bounded by `maxSources`: a full bucket is the same as none, so full ones are
 * forgotten when room is needed (one pass, at most once a second); when every remembered source is
 * still active, new ones get no answer until some are idle — an attacker filling the table cannot
 * reset anyone's bucket.
 */
export class StunRateLimiter {
  readonly #limits: StunRateLimit;
  readonly #now: () => number;
  readonly #sources = new Map<string, Bucket>();
  readonly #global: Bucket;
  #sweptAt = -Infinity;

  constructor(limits: StunRateLimit = STUN_RATE_LIMIT, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
    this.#global = { tokens: limits.globalPerSecond, at: now() };
  }

  /** Sources remembered now. */
  get size(): number {
    return this.#sources.size;
  }

  /** Takes a token for an answer to `address`; false: send nothing. */
  allow(address: string): boolean {
    const key = sourceKey(address);
    if (key === null) return false;
    const now = this.#now();
    const { burst, perSecond, maxSources, globalPerSecond } = this.#limits;
    let bucket = this.#sources.get(key);
    if (!bucket) {
      if (this.#sources.size >= maxSources && !this.#sweep(now)) return false;
      bucket = { tokens: burst, at: now };
      this.#sources.set(key, bucket);
    }
    refill(bucket, now, burst, perSecond);
    refill(this.#global, now, globalPerSecond, globalPerSecond);
    if (bucket.tokens < 1 || this.#global.tokens < 1) return false;
    bucket.tokens -= 1;
    this.#global.tokens -= 1;
    return true;
  }

  /** Forgets the sources whose bucket is full again; true when that made room. */
  #sweep(now: number): boolean {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return false;
    this.#sweptAt = now;
    const { burst, perSecond, maxSources } = this.#limits;
    for (const [key, bucket] of this.#sources) {
      refill(bucket, now, burst, perSecond);
      if (bucket.tokens >= burst) this.#sources.delete(key);
    }
    return this.#sources.size < maxSources;
  }
}

function refill(bucket: Bucket, now: number, capacity: number, perSecond: number): void {
  bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
  bucket.at = now;
}

/** What a source is counted under: its IPv4 address, or its IPv6 /64. */
function sourceKey(address: string): string | null {
  const bytes = ipBytes(address);
  if (!bytes) return null;
  return bytes.length === 4 ? formatIp(bytes) : `${bytes.subarray(0, 8).toString('hex')}/64`;
}
