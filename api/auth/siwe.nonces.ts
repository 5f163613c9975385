import { randomBytes } from 'node:crypto';

/**
 * Live nonces kept at most. `GET /api/hearth/siwe/nonce` is unauthenticated, so this is what a
 * flood must get through to evict a nonce a wallet user is still signing: with the default rate
 * limit (30 a minute per client address, api/ratelimit/settings.defs.ts) and 5-minute nonces that
 * takes about 670 client addresses (IPv6: /64s) at once, where 10 000 took 67. Memory stays bounded:
 * an entry is a 32-character key string, a timestamp and its slots in the Map, about 100 bytes
 * (measured with V8: 10.1 MB for 100 000), so a full store costs about 10 MB.
 */
export const NONCE_CAP = 100_000;

/**
 * The nonces of Sign-In with Ethereum (EIP-4361): issued by `GET /api/hearth/siwe/nonce`, each good
 * for one sign-in attempt within `ttlMs`. Kept in this process's memory, in issue order, and bounded:
 * past `cap` (NONCE_CAP unless given) live nonces the oldest is dropped, so a flood of nonce requests
 * costs at most `cap` entries (about 100 bytes each), never unbounded memory. A scale-out deployment
 * (several instances) needs them in the shared database instead, since the nonce and the sign-in may
 * reach different instances.
 */
export class NonceStore {
  /** nonce → when it was issued (ms); a Map iterates in insertion order, so the oldest comes first. */
  private readonly issued = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    readonly cap: number = NONCE_CAP,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh nonce: 32 hex characters (128 bits) from the system CSPRNG. */
  issue(): string {
    const now = this.now();
    this.sweep(now);
    while (this.issued.size >= this.cap) this.issued.delete(this.issued.keys().next().value as string);
    const nonce = randomBytes(16).toString('hex');
    this.issued.set(nonce, now);
    return nonce;
  }

  /**
   * Takes a nonce out (whatever the sign-in's outcome, so it can never be tried twice) and returns
   * when it was issued; undefined for a nonce never issued, already used, evicted or expired.
   * Synchronous, so two requests racing with one nonce cannot both get it.
   */
  consume(nonce: string): number | undefined {
    const issuedAt = this.issued.get(nonce);
    if (issuedAt === undefined) return undefined;
    this.issued.delete(nonce);
    return this.now() - issuedAt < this.ttlMs ? issuedAt : undefined;
  }

  get size(): number {
    return this.issued.size;
  }

  /** Drops expired nonces from the front (all live equally long, so they are the oldest). */
  private sweep(now: number): void {
    for (const [nonce, at] of this.issued) {
      if (now - at < this.ttlMs) break;
      this.issued.delete(nonce);
    }
  }
}
