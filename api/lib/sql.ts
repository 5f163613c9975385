/**
 * Building SQL from parts without ever putting a user value into SQL text: values go through
 * `SqlParams.add`, which hands back a named placeholder (better-sqlite3 binds `:name` from an object).
 */
export type SqlValue = string | number | bigint | Buffer | null;

export class SqlParams {
  readonly values: Record<string, SqlValue> = {};
  #next = 0;

  /** Binds a value and returns its placeholder. Booleans become 1/0 (SQLite has no boolean type). */
  add(value: SqlValue | boolean): string {
    const name = `p${this.#next++}`;
    this.values[name] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    return `:${name}`;
  }
}

/** A quoted SQL identifier. Names are validated before they get here; quoting is the second fence. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
