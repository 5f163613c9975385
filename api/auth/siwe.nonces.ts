import { randomBytes } from 'node:crypto';

/**
 * The nonces of Sign-In with Ethereum (EIP-4361): issued by `GET /api/hearth/siwe/nonce`, each good
 * for one sign-in attempt within `ttlMs`. Kept in this process's memory, in issue order, and bounded:
 * past `cap` live nonces the oldest is dropped, so a flood of nonce requests costs at most `cap`
 * entries (about 100 bytes each), never unbounded memory. A scale-out deployment (several instances)
 * needs them in the shared database instead, since the nonce and the sign-in may reach different
 * instances.
 */
export class NonceStore {
  /** nonce → when it was issued (ms); a Map iterates in insertion order, so the oldest comes first. */
  private readonly issued = new Map<string, number>();

  constructor(
    readonly ttlMs: number,
    readonly cap: number,
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
