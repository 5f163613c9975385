import type { Collection } from '../collections/collection.model';
import type { Database } from '../core/db';

/**
 * Answers to list requests, kept until the database changes. Many clients polling the same list is
 * the common read load of a personal cloud; a hit skips the query, the rules and the JSON.
 *
 * Correctness rests on Database.changeStamp: SQLite's `total_changes()` (every row this connection
 * wrote, collections and settings included) with `PRAGMA data_version` (other connections). Any
 * write anywhere clears the whole cache, so an answer can never outlive the data it was made from,
 * whatever tables its rules read. Requests whose answer depends on more than the database and the
 * signed-in record (request headers or query in a rule, the clock, `@random`) are not cached; see
 * `cacheable`.
 */
export class ListCache {
  readonly #db: Database;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #stamp = '';
  #entries = new Map<string, string>();
  #bytes = 0;

  constructor(db: Database, options: { maxEntries?: number; maxBytes?: number } = {}) {
    this.#db = db;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  get(key: string): string | undefined {
    this.#check();
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Most recently used last, so eviction takes the oldest.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** The database's change stamp now: take it before computing an answer, give it to `set`. */
  stamp(): string {
    return this.#db.changeStamp();
  }

  /**
   * Keeps an answer computed from the database as it was at `stamp`; dropped when the database has
   * changed since (a commit by another process while the answer was being made).
   */
  set(key: string, value: string, stamp: string): void {
    this.#check();
    if (stamp !== this.#stamp) return;
    if (value.length > this.#maxBytes / 8) return;
    const old = this.#entries.get(key);
    if (old !== undefined) this.#bytes -= old.length;
    this.#entries.set(key, value);
    this.#bytes += value.length;
    for (const [k, v] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.length;
    }
  }

  #check(): void {
    const stamp = this.#db.changeStamp();
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    this.#entries.clear();
    this.#bytes = 0;
  }
}

const ALLOWED_AT = /@request\.auth\.|@collection\.|@rowid/g;

/**
 * Whether a list answer depends only on the database and the signed-in record: not a view, no
 * expand (other collections' view rules would need the same check), no `strftime`, and no `@` in the
 * rule, filter or sort except `@request.auth.*`, `@collection.*` and `@rowid` (so no request headers
 * or query, no date macros, no `@random`).
 */
export function cacheable(collection: Collection, filter: string, sort: string, expand: string): boolean {
  // A view's query may read the clock or random() itself.
  if (collection.type === 'view' || expand.trim() !== '') return false;
  const text = `${collection.listRule ?? ''} ${filter} ${sort}`;
  // strftime(…, 'now') reads the clock without any @ macro.
  if (/strftime\s*\(/i.test(text)) return false;
  return !text.replace(ALLOWED_AT, '').includes('@');
}
