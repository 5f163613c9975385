import type { Database } from '../core/db';
import type { Collection, Schema } from './collection.model';
import { readCollections } from './collections.store';

/**
 * The collections, cached in memory and read on every request. The cache reloads after a change made
 * through this process (`invalidate`, also after a rolled-back change) and when another connection
 * committed (SQLite's `data_version` moved), so a CLI or second process never leaves it stale.
 */
export class CollectionsRegistry implements Schema {
  readonly #db: Database;
  #list: Collection[] = [];
  #byKey = new Map<string, Collection>();
  #dataVersion = -1;
  #dirty = true;

  constructor(db: Database) {
    this.#db = db;
  }

  find(idOrName: string): Collection | undefined {
    this.#refresh();
    return this.#byKey.get(idOrName) ?? this.#byKey.get(`name:${idOrName.toLowerCase()}`);
  }

  all(): readonly Collection[] {
    this.#refresh();
    return this.#list;
  }

  /** Marks the cache stale; the next read loads the collections again (inside a transaction, its state). */
  invalidate(): void {
    this.#dirty = true;
  }

  #refresh(): void {
    const version = this.#db.dataVersion();
    if (!this.#dirty && version === this.#dataVersion) return;
    this.#list = readCollections(this.#db.sql);
    this.#byKey = new Map();
    for (const c of this.#list) {
      this.#byKey.set(c.id, c);
      this.#byKey.set(`name:${c.name.toLowerCase()}`, c);
    }
    this.#dataVersion = version;
    this.#dirty = false;
  }
}

/** A schema that sees `extra` in place of (or next to) the saved collections: for checks before a save. */
export function overlaySchema(base: Schema, extra: Collection[]): Schema {
  const byKey = new Map<string, Collection>();
  for (const c of extra) {
    byKey.set(c.id, c);
    byKey.set(`name:${c.name.toLowerCase()}`, c);
  }
  const hidden = (c: Collection) => extra.some((e) => e.id === c.id);
  return {
    find(idOrName) {
      const own = byKey.get(idOrName) ?? byKey.get(`name:${idOrName.toLowerCase()}`);
      if (own) return own;
      const found = base.find(idOrName);
      return found && !hidden(found) ? found : undefined;
    },
    all() {
      return [...base.all().filter((c) => !hidden(c)), ...extra];
    },
  };
}
