import { type Field, isMultiple } from '../collections/collection.model';
import { FilterError, type ResolvedIdentifier } from '../lib/filter';
import type { SqlParams } from '../lib/sql';
import { formatDateTime } from '../lib/time';
import { toList } from './record.values';

/**
 * Values of `@request.*` (PocketBase's resolveStaticRequestField): they are known before the query
 * runs, so they enter it as bound parameters, never as SQL text.
 */

export const NULL_SQL: ResolvedIdentifier = { sql: 'NULL' };

/** A nested value by keys (object keys, array indexes), as PocketBase's extractNestedVal. */
export function extractPath(root: unknown, keys: string[]): { found: boolean; value: unknown } {
  let current = root;
  for (const key of keys) {
    if (Array.isArray(current)) {
      const i = /^\d+$/.test(key) ? Number(key) : -1;
      if (i < 0 || i >= current.length) return { found: false, value: undefined };
      current = current[i];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: current };
}

/** Binds a request value: NULL for nothing, numbers and texts as they are, objects as JSON text. */
export function staticValue(params: SqlParams, value: unknown, lower = false): ResolvedIdentifier {
  if (value === undefined || value === null) return NULL_SQL;
  let bound: string | number | bigint | boolean;
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean'
  ) {
    bound = value;
  } else {
    bound = JSON.stringify(value) ?? '';
  }
  const sql = params.add(bound);
  return { sql: lower ? `LOWER(${sql})` : sql };
}

/** Multipart bodies send numbers as text; a number field compares them as numbers (as PocketBase). */
export function bodyValue(field: Field | undefined, value: unknown): unknown {
  if (
    field?.type === 'number' &&
    typeof value === 'string' &&
    value.trim() !== '' &&
    Number.isFinite(Number(value))
  ) {
    return Number(value);
  }
  return value;
}

/**
 * `@request.body.<field>:changed`: the field was submitted with a value other than the row's
 * (`column` is the base row's column). Not submitted = not changed. Values are normalized the way
 * the column stores them so `"5"` vs 5 or `["a"]` vs '["a"]' compare equal.
 */
export function changedExpr(
  params: SqlParams,
  field: Field,
  body: Record<string, unknown>,
  column: string,
): ResolvedIdentifier {
  if (field.type === 'password')
    throw new FilterError('Invalid filter: :changed cannot be used on a password field.');
  if (!Object.hasOwn(body, field.name)) return { sql: 'FALSE' };
  const raw = body[field.name];
  let sql: string;
  if (isMultiple(field) || field.type === 'json') {
    const json = isMultiple(field) ? JSON.stringify(toList(raw)) : raw == null ? null : JSON.stringify(raw);
    sql = `(json(${params.add(json)}) IS NOT (CASE WHEN json_valid(${column}) THEN json(${column}) ELSE ${column} END))`;
  } else if (field.type === 'bool') {
    const on = raw === true || raw === 1 || raw === 'true' || raw === '1';
    sql = `(${params.add(on)} IS NOT ${column})`;
  } else if (field.type === 'number') {
    const n = raw === '' || raw == null ? 0 : Number(raw);
    sql = `(${params.add(Number.isFinite(n) ? n : String(raw))} IS NOT ${column})`;
  } else {
    // One value is stored from a list: the last (api/records/record.values.ts).
    let text = Array.isArray(raw) ? (raw[raw.length - 1] ?? '') : (raw ?? '');
    if (typeof text === 'object') text = JSON.stringify(text);
    text = String(text);
    if (
      (field.type === 'date' || field.type === 'autodate') &&
      text !== '' &&
      !Number.isNaN(Date.parse(text))
    ) {
      text = formatDateTime(new Date(text));
    }
    sql = `(COALESCE(${params.add(text)}, '') IS NOT COALESCE(${column}, ''))`;
  }
  // A computed 0/1: its one bound value says nothing about whether the result is empty.
  return { sql, enforceNullFallback: true };
}
