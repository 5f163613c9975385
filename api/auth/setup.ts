import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * First-run setup, as PocketBase's installer: while no superuser exists, a one-time code is made at
 * start and printed to the server's console. Only someone who can read that console can create the
 * first superuser through the web page, so a fresh install exposed to a network cannot be claimed by
 * a stranger.
 */
export class SetupGate {
  readonly code = randomBytes(24).toString('base64url');
  /** Like PocketBase's installer token, the code lasts 30 minutes; a restart prints a new one. */
  readonly expiresAt: number;

  constructor(now = Date.now(), lifetimeMs = 30 * 60 * 1000) {
    this.expiresAt = now + lifetimeMs;
  }

  expired(now = Date.now()): boolean {
    return now >= this.expiresAt;
  }

  /** Timing-safe comparison with the printed code. */
  accepts(code: unknown): boolean {
    if (typeof code !== 'string') return false;
    const a = Buffer.from(code);
    const b = Buffer.from(this.code);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * The link the console prints. The code travels in the URL fragment, which browsers never send, so
   * it stays out of access logs and proxies; the server prints it to stderr only, not to its log.
   */
  link(baseUrl: string): string {
    return `${baseUrl.replace(/\/$/, '')}/setup#${this.code}`;
  }
}
