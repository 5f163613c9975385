import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import type { Database } from './db';
import type { EventBus } from './events';
import { deleteParam, readAllParams, writeParam } from './params.store';

/**
 * Settings live in the database (`_params`), never in a config file. Each capability declares its
 * keys with a zod schema and a default; only values that differ from the default are stored, so a
 * new default reaches every install that never changed it. `hearth config`, /api/settings and the
 * console all go through this one store.
 */
export interface SettingDef<T> {
  schema: z.ZodType<T>;
  default: T;
  description: string;
  /**
   * A password or key: never sent by GET /api/settings (left out, as PocketBase leaves out
   * `smtp.password`) nor printed by `hearth config get`. A PATCH that sends '' keeps the stored one,
   * so a form that shows an empty box never wipes it. Its default must be ''.
   */
  secret?: boolean;
}

// `any` is confined to the constraint: each concrete definition keeps its own value type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SettingDefs = Record<string, SettingDef<any>>;
export type SettingValues<D extends SettingDefs> = {
  [K in keyof D]: D[K] extends SettingDef<infer T> ? T : never;
};

/** Keeps the value type of each key when a capability declares its settings. */
export function defineSettings<D extends SettingDefs>(defs: D): D {
  for (const [key, def] of Object.entries(defs)) {
    if (!def.schema.safeParse(def.default).success)
      throw new Error(`Default of setting ${key} fails its own schema`);
    if (def.secret && def.default !== '') throw new Error(`Secret setting ${key} must default to ''`);
  }
  return defs;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    readonly key: string,
    readonly code: 'unknown_key' | 'invalid_value',
    message: string,
  ) {
    super(message);
  }
}

export interface SettingInfo {
  key: string;
  value: unknown;
  default: unknown;
  description: string;
  changed: boolean;
  /** A secret's value is '' here whatever is stored; `changed` tells whether one is set. */
  secret: boolean;
}

export class SettingsStore<D extends SettingDefs> {
  readonly #db: Database;
  readonly #defs: D;
  readonly #bus: EventBus | undefined;
  #cache = new Map<string, unknown>();
  #dataVersion = -1;

  constructor(db: Database, defs: D, bus?: EventBus) {
    this.#db = db;
    this.#defs = defs;
    this.#bus = bus;
  }

  /** The keys this build knows. */
  keys(): (keyof D & string)[] {
    return Object.keys(this.#defs).sort();
  }

  get<K extends keyof D & string>(key: K): SettingValues<D>[K] {
    this.#refresh();
    const def = this.#def(key);
    return (this.#cache.has(key) ? this.#cache.get(key) : def.default) as SettingValues<D>[K];
  }

  /** Every value, secrets included: for the server's own use, never for a response. */
  all(): SettingValues<D> {
    return Object.fromEntries(this.keys().map((k) => [k, this.get(k)])) as SettingValues<D>;
  }

  /** Every value except the secrets (left out, not blanked): what may be shown or sent. */
  redacted(): Partial<SettingValues<D>> {
    return Object.fromEntries(
      this.keys()
        .filter((k) => !this.isSecret(k))
        .map((k) => [k, this.get(k)]),
    ) as Partial<SettingValues<D>>;
  }

  isSecret(key: string): boolean {
    return this.#def(key).secret === true;
  }

  describe(): SettingInfo[] {
    this.#refresh();
    return this.keys().map((key) => {
      const def = this.#def(key);
      const secret = def.secret === true;
      return {
        key,
        value: secret ? '' : (this.get(key) as unknown),
        default: def.default,
        description: def.description,
        changed: this.#cache.has(key),
        secret,
      };
    });
  }

  /**
   * Validates every value first, then writes them all in one transaction: a bad value anywhere
   * means nothing is written.
   */
  set(values: Record<string, unknown>): void {
    const parsed = Object.entries(values).map(([key, value]) => [key, this.validate(key, value)] as const);
    this.#db.transaction(() => {
      for (const [key, value] of parsed) {
        if (isDeepStrictEqual(value, this.#def(key).default)) deleteParam(this.#db, key);
        else writeParam(this.#db, key, JSON.stringify(value));
      }
      this.#bus?.publish('SettingsUpdate', { keys: parsed.map(([k]) => k) });
    });
    this.#dataVersion = -1; // reload on next read, including our own write
  }

  /** Checks one value against its key's schema and returns the parsed value. */
  validate(key: string, value: unknown): unknown {
    return validateSetting(this.#defs, key, value);
  }

  #def(key: string): SettingDef<unknown> {
    return settingDef(this.#defs, key);
  }

  /** Another process (the CLI) may have written: PRAGMA data_version tells, for about a microsecond. */
  #refresh(): void {
    const version = this.#db.dataVersion();
    if (version === this.#dataVersion) return;
    const rows = readAllParams(this.#db);
    const next = new Map<string, unknown>();
    for (const row of rows) {
      const def = Object.hasOwn(this.#defs, row.key) ? this.#defs[row.key] : undefined;
      if (!def) continue; // internal keys and keys of other builds
      const parsed = def.schema.safeParse(safeJson(row.value));
      if (parsed.success) next.set(row.key, parsed.data);
    }
    this.#cache = next;
    this.#dataVersion = version;
  }
}

function settingDef(defs: SettingDefs, key: string): SettingDef<unknown> {
  const def = Object.hasOwn(defs, key) ? defs[key] : undefined;
  if (!def) {
    const known = Object.keys(defs).sort().join(', ');
    throw new SettingsError(key, 'unknown_key', `Unknown setting "${key}". Known settings: ${known}`);
  }
  return def as SettingDef<unknown>;
}

/** Checks one value against its key's schema (no database needed) and returns the parsed value. */
export function validateSetting(defs: SettingDefs, key: string, value: unknown): unknown {
  const result = settingDef(defs, key).schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SettingsError(
      key,
      'invalid_value',
      `Invalid value for ${key}: ${issue?.message ?? 'not allowed'}`,
    );
  }
  return result.data;
}

/**
 * Reads a value typed on a command line: JSON when it parses as JSON (numbers, booleans, arrays),
 * otherwise the text itself, so `config set meta.appName My Cloud` needs no quotes.
 */
export function parseSettingText(defs: SettingDefs, key: string, text: string): unknown {
  const schema = settingDef(defs, key).schema;
  let candidate: unknown = text;
  try {
    candidate = JSON.parse(text);
  } catch {
    // plain text
  }
  if (
    typeof candidate !== 'string' &&
    !schema.safeParse(candidate).success &&
    schema.safeParse(text).success
  ) {
    candidate = text;
  }
  return validateSetting(defs, key, candidate);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
