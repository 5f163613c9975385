/**
 * What the collection editor shows for each field type: the type's own options and how to edit
 * them. The server (api/collections/collection.fields.ts) stays the judge of valid values; this only
 * picks the right input for each option.
 */

export const FIELD_TYPES = [
  'text',
  'number',
  'bool',
  'email',
  'url',
  'editor',
  'date',
  'autodate',
  'select',
  'json',
  'file',
  'relation',
  'password',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** The inputs an option can have. `list` is a comma-separated list of strings; `nullableNumber` may be empty. */
export type OptionKind = 'bool' | 'int' | 'nullableNumber' | 'text' | 'list' | 'collection' | 'date';

export interface OptionSpec {
  name: string;
  kind: OptionKind;
}

/** A field as the API sends it: common keys plus the type's options flattened on top. */
export interface FieldModel {
  id?: string;
  name: string;
  type: FieldType;
  system?: boolean;
  hidden?: boolean;
  presentable?: boolean;
  required?: boolean;
  [option: string]: unknown;
}

const REQUIRED: OptionSpec = { name: 'required', kind: 'bool' };
const DOMAINS: OptionSpec[] = [
  { name: 'onlyDomains', kind: 'list' },
  { name: 'exceptDomains', kind: 'list' },
];

export const FIELD_OPTIONS: Record<FieldType, readonly OptionSpec[]> = {
  text: [
    REQUIRED,
    { name: 'min', kind: 'int' },
    { name: 'max', kind: 'int' },
    { name: 'pattern', kind: 'text' },
    { name: 'autogeneratePattern', kind: 'text' },
  ],
  number: [
    REQUIRED,
    { name: 'min', kind: 'nullableNumber' },
    { name: 'max', kind: 'nullableNumber' },
    { name: 'onlyInt', kind: 'bool' },
  ],
  bool: [REQUIRED],
  email: [REQUIRED, ...DOMAINS],
  url: [REQUIRED, ...DOMAINS],
  editor: [REQUIRED, { name: 'maxSize', kind: 'int' }, { name: 'convertURLs', kind: 'bool' }],
  date: [REQUIRED, { name: 'min', kind: 'date' }, { name: 'max', kind: 'date' }],
  autodate: [
    { name: 'onCreate', kind: 'bool' },
    { name: 'onUpdate', kind: 'bool' },
  ],
  select: [REQUIRED, { name: 'values', kind: 'list' }, { name: 'maxSelect', kind: 'int' }],
  json: [REQUIRED, { name: 'maxSize', kind: 'int' }],
  file: [
    REQUIRED,
    { name: 'maxSelect', kind: 'int' },
    { name: 'maxSize', kind: 'int' },
    { name: 'mimeTypes', kind: 'list' },
    { name: 'thumbs', kind: 'list' },
    { name: 'protected', kind: 'bool' },
  ],
  relation: [
    REQUIRED,
    { name: 'collectionId', kind: 'collection' },
    { name: 'cascadeDelete', kind: 'bool' },
    { name: 'minSelect', kind: 'int' },
    { name: 'maxSelect', kind: 'int' },
  ],
  password: [
    REQUIRED,
    { name: 'min', kind: 'int' },
    { name: 'max', kind: 'int' },
    { name: 'pattern', kind: 'text' },
    { name: 'cost', kind: 'int' },
  ],
};

/** The starting options of a new field: what PocketBase's dashboard starts with. */
const DEFAULTS: Record<FieldType, Record<string, unknown>> = {
  text: { required: false, min: 0, max: 0, pattern: '', autogeneratePattern: '', primaryKey: false },
  number: { required: false, min: null, max: null, onlyInt: false },
  bool: { required: false },
  email: { required: false, onlyDomains: null, exceptDomains: null },
  url: { required: false, onlyDomains: null, exceptDomains: null },
  editor: { required: false, maxSize: 0, convertURLs: false },
  date: { required: false, min: '', max: '' },
  autodate: { onCreate: true, onUpdate: false },
  select: { required: false, values: [], maxSelect: 1 },
  json: { required: false, maxSize: 0 },
  file: { required: false, maxSelect: 1, maxSize: 0, mimeTypes: null, thumbs: null, protected: false },
  relation: { required: false, collectionId: '', cascadeDelete: false, minSelect: 0, maxSelect: 1 },
  password: { required: false, min: 8, max: 0, pattern: '', cost: 0 },
};

/** A new field of a type (no id: the server gives it one). */
export function newField(type: FieldType, name: string): FieldModel {
  return { name, type, system: false, hidden: false, presentable: false, ...structuredClone(DEFAULTS[type]) };
}

/** A name for a new field that no field has yet: `field`, `field2`, … */
export function freshFieldName(fields: readonly { name: string }[], base = 'field'): string {
  const taken = new Set(fields.map((f) => f.name.toLowerCase()));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

/** An option's value as the text of its input. */
export function optionText(value: unknown, kind: OptionKind): string {
  if (value === null || value === undefined) return '';
  if (kind === 'list') return Array.isArray(value) ? value.join(', ') : '';
  return String(value);
}

/**
 * The text of an option's input as the value the API takes. Numbers that do not parse are sent as
 * typed, so the server's message names the problem rather than the value silently becoming 0.
 */
export function optionValue(text: string, kind: OptionKind): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case 'list': {
      const items = trimmed
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      return items.length > 0 ? items : null;
    }
    case 'int':
    case 'nullableNumber': {
      if (trimmed === '') return kind === 'int' ? 0 : null;
      const n = Number(trimmed);
      return Number.isFinite(n) ? n : trimmed;
    }
    default:
      return text;
  }
}

/** Moves an item of a list one place up (-1) or down (+1); out-of-range moves change nothing. */
export function moved<T>(list: readonly T[], index: number, by: -1 | 1): T[] {
  const to = index + by;
  const out = [...list];
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return out;
  [out[index], out[to]] = [out[to]!, out[index]!];
  return out;
}

/**
 * The indexes with a renamed column renamed too, as PocketBase's dashboard does: only in the
 * column list and WHERE part (after the first parenthesis), only whole identifiers, quoted or not.
 */
export function renameInIndexes(indexes: readonly string[], from: string, to: string): string[] {
  if (!from || !to || from === to) return [...indexes];
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const identifier = new RegExp(`(?<![\\w"\`\\[])(["\`\\[]?)${escaped}(["\`\\]]?)(?![\\w"\`\\]])`, 'g');
  return indexes.map((sql) => {
    const open = sql.indexOf('(');
    if (open === -1) return sql;
    return (
      sql.slice(0, open) +
      sql.slice(open).replace(identifier, (_m, q1: string, q2: string) => `${q1}${to}${q2}`)
    );
  });
}
