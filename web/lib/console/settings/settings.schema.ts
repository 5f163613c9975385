/**
 * What the console knows of a setting: GET /api/hearth/settings/schema describes each one with a JSON
 * Schema (draft 2020-12, written by zod 4's `z.toJSONSchema`), and this module picks the input that
 * fits it. A setting added to the server later gets a form field without a console change.
 */

/** The parts of JSON Schema the settings form understands; anything else falls back to JSON text. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  pattern?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  [other: string]: unknown;
}

/** One setting as GET /api/hearth/settings/schema returns it. */
export interface SettingSchema {
  /** `section.name`, the key of the settings store. */
  key: string;
  section: string;
  name: string;
  default: unknown;
  /** Never sent by GET /api/settings; PATCH with '' keeps the stored value. */
  secret: boolean;
  /** The server's English description: help text for settings the locales do not know yet. */
  description: string;
  schema: JsonSchema;
}

export type EnumOption = string | number;

/** An input for one value. */
export type ScalarKind =
  | { kind: 'boolean' }
  | { kind: 'enum'; options: EnumOption[] }
  | {
      kind: 'number';
      integer: boolean;
      min?: number;
      max?: number;
      /** The bound itself is not allowed (JSON Schema exclusiveMinimum/Maximum). */
      minExclusive?: boolean;
      maxExclusive?: boolean;
    }
  | {
      kind: 'text';
      minLength?: number;
      maxLength?: number;
      inputType: 'text' | 'email' | 'url';
    };

export interface TableColumn {
  name: string;
  type: ScalarKind;
}

/** The input of a whole setting. */
export type FieldKind =
  | ScalarKind
  | { kind: 'secret'; maxLength?: number }
  /** Strings or numbers, one per line. */
  | { kind: 'list'; item: ScalarKind & { kind: 'text' | 'number' }; minItems?: number; maxItems?: number }
  /** Flat objects, one row each. */
  | { kind: 'table'; columns: TableColumn[]; minItems?: number; maxItems?: number }
  /** Anything else, edited as JSON text. */
  | { kind: 'json'; expects: 'array' | 'object' | 'any' };

function hasType(schema: JsonSchema, type: string): boolean {
  return Array.isArray(schema.type) ? schema.type.includes(type) : schema.type === type;
}

function isEmptySchema(schema: JsonSchema | undefined): boolean {
  return !schema || Object.keys(schema).filter((k) => k !== '$schema').length === 0;
}

/** The input for a single value, or null when one input cannot hold it. */
export function scalarKind(schema: JsonSchema): ScalarKind | null {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const options = schema.enum.filter(
      (v): v is EnumOption => typeof v === 'string' || typeof v === 'number',
    );
    return options.length === schema.enum.length ? { kind: 'enum', options } : null;
  }
  if (hasType(schema, 'boolean')) return { kind: 'boolean' };
  if (hasType(schema, 'integer') || hasType(schema, 'number')) {
    const kind: ScalarKind = { kind: 'number', integer: hasType(schema, 'integer') };
    if (typeof schema.minimum === 'number') kind.min = schema.minimum;
    else if (typeof schema.exclusiveMinimum === 'number') {
      kind.min = schema.exclusiveMinimum;
      kind.minExclusive = true;
    }
    if (typeof schema.maximum === 'number') kind.max = schema.maximum;
    else if (typeof schema.exclusiveMaximum === 'number') {
      kind.max = schema.exclusiveMaximum;
      kind.maxExclusive = true;
    }
    return kind;
  }
  if (hasType(schema, 'string')) {
    const format = schema.format;
    const kind: ScalarKind = {
      kind: 'text',
      inputType: format === 'email' ? 'email' : format === 'uri' || format === 'url' ? 'url' : 'text',
    };
    if (typeof schema.minLength === 'number') kind.minLength = schema.minLength;
    if (typeof schema.maxLength === 'number') kind.maxLength = schema.maxLength;
    return kind;
  }
  return null;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Table columns read from example rows, for arrays whose item schema says nothing (a zod transform
 * such as `rateLimits.rules` exports as `items: {}`): a column per key, typed by the values seen.
 * Null when the rows are not flat objects with one type per key.
 */
export function inferColumns(rows: unknown[]): TableColumn[] | null {
  const seen = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!isPlainObject(row)) return null;
    for (const [key, value] of Object.entries(row)) {
      const type = Number.isInteger(value) ? 'integer' : typeof value;
      if (!['string', 'number', 'integer', 'boolean'].includes(type)) return null;
      (seen.get(key) ?? seen.set(key, new Set()).get(key)!).add(type);
    }
  }
  if (seen.size === 0) return null;
  const columns: TableColumn[] = [];
  for (const [name, types] of seen) {
    if (types.size === 1 && types.has('string'))
      columns.push({ name, type: { kind: 'text', inputType: 'text' } });
    else if (types.size === 1 && types.has('boolean')) columns.push({ name, type: { kind: 'boolean' } });
    else if ([...types].every((t) => t === 'integer' || t === 'number'))
      columns.push({ name, type: { kind: 'number', integer: !types.has('number') } });
    else return null;
  }
  return columns;
}

function fits(type: ScalarKind, value: unknown): boolean {
  switch (type.kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return type.options.includes(value as EnumOption);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'text':
      return typeof value === 'string' && !/[\r\n]/.test(value);
  }
}

/** Whether every row of `value` fits the columns (no other keys, each cell of its column's type). */
function fitsTable(columns: TableColumn[], value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  return value.every(
    (row) =>
      isPlainObject(row) &&
      Object.entries(row).every(([key, cell]) => {
        const column = columns.find((c) => c.name === key);
        return column !== undefined && fits(column.type, cell);
      }),
  );
}

function arrayKind(schema: JsonSchema, setting: SettingSchema, current: unknown): FieldKind {
  const bounds: { minItems?: number; maxItems?: number } = {};
  if (typeof schema.minItems === 'number') bounds.minItems = schema.minItems;
  if (typeof schema.maxItems === 'number') bounds.maxItems = schema.maxItems;
  const json: FieldKind = { kind: 'json', expects: 'array' };
  const items = schema.items;

  const item = items ? scalarKind(items) : null;
  if (item && (item.kind === 'text' || item.kind === 'number')) {
    const lines = Array.isArray(current) ? current : [];
    return lines.every((v) => fits(item, v)) ? { kind: 'list', item, ...bounds } : json;
  }

  let columns: TableColumn[] | null = null;
  if (items && isPlainObject(items.properties)) {
    columns = [];
    for (const [name, property] of Object.entries(items.properties)) {
      const type = scalarKind(property);
      if (!type) return json;
      columns.push({ name, type });
    }
  } else if (isEmptySchema(items)) {
    const examples = [setting.default, current].flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : []));
    columns = inferColumns(examples);
  }
  return columns && columns.length > 0 && fitsTable(columns, current)
    ? { kind: 'table', columns, ...bounds }
    : json;
}

/**
 * The input for a setting, given its schema and its current value: a value the input could not hold
 * (a stored enum value this build does not list, a rule with a key the table has no column for)
 * falls back to a plainer input, so the form never changes a value the user did not touch.
 */
export function fieldKind(setting: SettingSchema, current: unknown): FieldKind {
  const schema = setting.schema;
  if (setting.secret) {
    return typeof schema.maxLength === 'number'
      ? { kind: 'secret', maxLength: schema.maxLength }
      : { kind: 'secret' };
  }
  const scalar = scalarKind(schema);
  if (scalar) {
    if (fits(scalar, current)) return scalar;
    if (scalar.kind === 'enum' && typeof current === 'string') return { kind: 'text', inputType: 'text' };
    return { kind: 'json', expects: 'any' };
  }
  if (hasType(schema, 'array')) return arrayKind(schema, setting, current);
  return { kind: 'json', expects: hasType(schema, 'object') ? 'object' : 'any' };
}

/** Sections in the order the console shows them; sections it does not know follow, by name. */
const SECTION_ORDER = ['meta', 'smtp', 'siwe', 'rateLimits', 'batch', 'http', 'trustedProxy', 'logs'];

/**
 * Known settings in the order a person fills them in (switch, then address, then credentials); the
 * server lists them by key. Settings not named here follow the named ones of their section, by key.
 */
const KEY_ORDER = [
  'meta.appName',
  'meta.appURL',
  'meta.senderName',
  'meta.senderAddress',
  'smtp.enabled',
  'smtp.host',
  'smtp.port',
  'smtp.username',
  'smtp.password',
  'smtp.authMethod',
  'smtp.tls',
  'smtp.localName',
  'rateLimits.enabled',
  'rateLimits.rules',
  'batch.enabled',
  'batch.maxRequests',
  'batch.timeout',
  'batch.maxBodySize',
  'trustedProxy.headers',
  'trustedProxy.useLeftmostIP',
  'logs.maxDays',
  'logs.minLevel',
  'logs.logIP',
  'logs.logAuthId',
];

export interface SettingsSection {
  section: string;
  settings: SettingSchema[];
}

const rank = (order: string[], item: string) => {
  const i = order.indexOf(item);
  return i === -1 ? order.length : i;
};
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The settings grouped by section, known sections and settings first in the console's order. */
export function groupSections(settings: SettingSchema[]): SettingsSection[] {
  const groups = new Map<string, SettingSchema[]>();
  for (const s of settings) (groups.get(s.section) ?? groups.set(s.section, []).get(s.section)!).push(s);
  return [...groups.entries()]
    .sort(([a], [b]) => rank(SECTION_ORDER, a) - rank(SECTION_ORDER, b) || byName(a, b))
    .map(([section, list]) => ({
      section,
      settings: list.sort((a, b) => rank(KEY_ORDER, a.key) - rank(KEY_ORDER, b.key) || byName(a.key, b.key)),
    }));
}
