/**
 * The file token that links to protected files carry (GET /api/files/token). PocketBase's tokens
 * expire after 180 s by default, so one older than MAX_AGE_MS is fetched again before a link is built
 * or followed: an editor left open for minutes would otherwise show links that answer 404.
 */

/** Comfortably under PocketBase's default lifetime of 180 s, leaving room for a slow request. */
export const FILE_TOKEN_MAX_AGE_MS = 120_000;

export class FileTokenCache {
  #token = '';
  #fetchedAt = 0;
  #pending: Promise<string> | null = null;
  readonly #fetch: () => Promise<string>;
  readonly #now: () => number;
  readonly #maxAgeMs: number;

  constructor(fetch: () => Promise<string>, options: { now?: () => number; maxAgeMs?: number } = {}) {
    this.#fetch = fetch;
    this.#now = options.now ?? Date.now;
    this.#maxAgeMs = options.maxAgeMs ?? FILE_TOKEN_MAX_AGE_MS;
  }

  /** The token while it is young enough to use, else null. */
  get fresh(): string | null {
    return this.#token !== '' && this.#now() - this.#fetchedAt < this.#maxAgeMs ? this.#token : null;
  }

  /** A fresh token: the one held, or a new one (one request however many ask at once). */
  async get(): Promise<string> {
    const fresh = this.fresh;
    if (fresh !== null) return fresh;
    this.#pending ??= this.#fetch()
      .then((token) => {
        this.#token = token;
        this.#fetchedAt = this.#now();
        return token;
      })
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }
}
