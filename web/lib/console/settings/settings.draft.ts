import type { Translate } from '$lib/i18n/i18next';
import type { FieldKind, ScalarKind, SettingSchema } from './settings.schema';

/**
 * The settings form edits drafts — what the inputs hold (text, a checkbox, table rows) — and turns
 * them back into values only to check and send them. The server checks everything again; these
 * checks only spare a round trip for the obvious (a letter in a number, broken JSON).
 */
export type TableDraft = Record<string, string | boolean>[];
export type Draft = string | boolean | TableDraft;

export type ProblemCode =
  | 'required'
  | 'number'
  | 'integer'
  | 'min'
  | 'max'
  | 'minLength'
  | 'maxLength'
  | 'minItems'
  | 'maxItems'
  | 'json'
  | 'jsonArray'
  | 'jsonObject';

/** Why a draft is not a value; `row` (1-based) and `column` place it in a list or table. */
export interface Problem {
  code: ProblemCode;
  params?: Record<string, string | number>;
  row?: number;
  column?: string;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; problem: Problem };

const ok = (value: unknown): Parsed => ({ ok: true, value });
const fail = (code: ProblemCode, params?: Problem['params']): Parsed => ({
  ok: false,
  problem: params ? { code, params } : { code },
});

function scalarDraft(type: ScalarKind, value: unknown): string | boolean {
  switch (type.kind) {
    case 'boolean':
      return value === true;
    case 'enum': {
      // The option's index: a <select> holds strings, and options may be numbers or ''.
      const i = type.options.indexOf(value as string | number);
      return i === -1 ? '' : String(i);
    }
    case 'number':
      return typeof value === 'number' ? String(value) : '';
    case 'text':
      return typeof value === 'string' ? value : '';
  }
}

/** What the input of `kind` shows for `value`. */
export function toDraft(kind: FieldKind, value: unknown): Draft {
  switch (kind.kind) {
    case 'secret':
      return '';
    case 'list':
      return Array.isArray(value) ? value.map((v) => String(v)).join('\n') : '';
    case 'table':
      return Array.isArray(value)
        ? value.map((row: Record<string, unknown>) =>
            Object.fromEntries(kind.columns.map((c) => [c.name, scalarDraft(c.type, row[c.name])])),
          )
        : [];
    case 'json':
      return JSON.stringify(value, null, 2) ?? '';
    default:
      return scalarDraft(kind, value);
  }
}

/** A new, empty table row. */
export function emptyRow(kind: FieldKind & { kind: 'table' }): Record<string, string | boolean> {
  return Object.fromEntries(kind.columns.map((c) => [c.name, c.type.kind === 'boolean' ? false : '']));
}

function parseNumber(type: ScalarKind & { kind: 'number' }, text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed === '') return fail('required');
  const n = Number(trimmed);
  if (!Number.isFinite(n)) return fail('number');
  if (type.integer && !Number.isInteger(n)) return fail('integer');
  if (type.min !== undefined && (type.minExclusive ? n <= type.min : n < type.min))
    return fail('min', { min: type.min });
  if (type.max !== undefined && (type.maxExclusive ? n >= type.max : n > type.max))
    return fail('max', { max: type.max });
  return ok(n);
}

function parseText(type: ScalarKind & { kind: 'text' }, text: string): Parsed {
  const length = [...text.trim()].length;
  if (type.minLength !== undefined && length < type.minLength)
    return type.minLength === 1 ? fail('required') : fail('minLength', { min: type.minLength });
  if (type.maxLength !== undefined && [...text].length > type.maxLength)
    return fail('maxLength', { max: type.maxLength });
  return ok(text);
}

function parseScalar(type: ScalarKind, draft: Draft): Parsed {
  switch (type.kind) {
    case 'boolean':
      return ok(draft === true);
    case 'enum': {
      const option = draft === '' ? undefined : type.options[Number(draft)];
      return option === undefined ? fail('required') : ok(option);
    }
    case 'number':
      return parseNumber(type, String(draft));
    case 'text':
      return parseText(type, String(draft));
  }
}

function countItems(kind: { minItems?: number; maxItems?: number }, n: number): Parsed | null {
  if (kind.minItems !== undefined && n < kind.minItems) return fail('minItems', { min: kind.minItems });
  if (kind.maxItems !== undefined && n > kind.maxItems) return fail('maxItems', { max: kind.maxItems });
  return null;
}

function parseList(kind: FieldKind & { kind: 'list' }, text: string): Parsed {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const values: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    const parsed = parseScalar(kind.item, line);
    if (!parsed.ok) return { ok: false, problem: { ...parsed.problem, row: i + 1 } };
    values.push(parsed.value);
  }
  return countItems(kind, values.length) ?? ok(values);
}

function parseTable(kind: FieldKind & { kind: 'table' }, rows: TableDraft): Parsed {
  const values: Record<string, unknown>[] = [];
  for (const [i, row] of rows.entries()) {
    const value: Record<string, unknown> = {};
    for (const column of kind.columns) {
      const parsed = parseScalar(column.type, row[column.name] ?? '');
      if (!parsed.ok) return { ok: false, problem: { ...parsed.problem, row: i + 1, column: column.name } };
      value[column.name] = parsed.value;
    }
    values.push(value);
  }
  return countItems(kind, values.length) ?? ok(values);
}

function parseJson(kind: FieldKind & { kind: 'json' }, text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail('json', { message: err instanceof Error ? err.message : String(err) });
  }
  if (kind.expects === 'array' && !Array.isArray(value)) return fail('jsonArray');
  if (kind.expects === 'object' && (typeof value !== 'object' || value === null || Array.isArray(value)))
    return fail('jsonObject');
  return ok(value);
}

/** The value a draft stands for, or why it stands for none. */
export function parseDraft(kind: FieldKind, draft: Draft): Parsed {
  switch (kind.kind) {
    case 'secret': {
      const text = String(draft);
      return kind.maxLength !== undefined && [...text].length > kind.maxLength
        ? fail('maxLength', { max: kind.maxLength })
        : ok(text);
    }
    case 'list':
      return parseList(kind, String(draft));
    case 'table':
      return parseTable(kind, Array.isArray(draft) ? draft : []);
    case 'json':
      return parseJson(kind, String(draft));
    default:
      return parseScalar(kind, draft);
  }
}

/** Structural equality of JSON values (key order does not matter). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/**
 * Whether a field differs from what the server holds. A secret's empty box means "keep": only a
 * typed secret is a change. A draft that is no value at all is a change (the user typed it).
 */
export function isChanged(kind: FieldKind, original: unknown, draft: Draft): boolean {
  if (kind.kind === 'secret') return draft !== '';
  const parsed = parseDraft(kind, draft);
  return !parsed.ok || !sameValue(parsed.value, original);
}

/** A PATCH /api/settings body: `{section: {name: value}}`, from `key → value`. */
export function nestValues(
  values: Map<string, unknown>,
  settings: SettingSchema[],
): Record<string, Record<string, unknown>> {
  const body: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of values) {
    const s = settings.find((x) => x.key === key);
    if (s) (body[s.section] ??= {})[s.name] = value;
  }
  return body;
}

/** The current value of every setting in GET /api/settings' nested answer (default where left out). */
export function readValues(settings: SettingSchema[], nested: Record<string, unknown>): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const s of settings) {
    const section = nested[s.section];
    const fields =
      typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
    values.set(s.key, s.secret ? '' : Object.hasOwn(fields, s.name) ? fields[s.name] : s.default);
  }
  return values;
}

export interface FieldError {
  code: string;
  message: string;
}

/**
 * Field errors of a 400 from PATCH /api/settings, by setting key. The server nests them as its
 * values (`data.smtp.port = {code, message}`); an error on a whole section is keyed by the section.
 */
export function readFieldErrors(data: unknown): Map<string, FieldError> {
  const out = new Map<string, FieldError>();
  if (typeof data !== 'object' || data === null) return out;
  const asError = (v: unknown): FieldError | null =>
    typeof v === 'object' && v !== null && typeof (v as FieldError).message === 'string'
      ? { code: String((v as FieldError).code ?? ''), message: (v as FieldError).message }
      : null;
  for (const [section, entry] of Object.entries(data)) {
    const whole = asError(entry);
    if (whole && 'code' in (entry as object)) {
      out.set(section, whole);
      continue;
    }
    if (typeof entry !== 'object' || entry === null) continue;
    for (const [name, e] of Object.entries(entry)) {
      const error = asError(e);
      if (error) out.set(`${section}.${name}`, error);
    }
  }
  return out;
}

/** A problem in the user's language. */
export function problemText(
  problem: Problem,
  t: Translate,
  columnLabel?: (column: string) => string,
): string {
  const text = t(`console-system:settingsPage.problems.${problem.code}`, problem.params ?? {});
  if (problem.row === undefined) return text;
  if (problem.column === undefined)
    return t('console-system:settingsPage.problems.inLine', { line: problem.row, problem: text });
  return t('console-system:settingsPage.problems.inCell', {
    row: problem.row,
    column: columnLabel ? columnLabel(problem.column) : problem.column,
    problem: text,
  });
}
