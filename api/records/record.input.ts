import { findField, isMultiple, type Collection, type Field } from '../collections/collection.model';
import type { ErrorData } from '../core/errors';
import { formatDateTime } from '../lib/time';
import {
  autogenerate,
  exportValue,
  prepareValue,
  toList,
  validateValue,
  zeroValue,
  type Stored,
} from './record.values';
import type { Row } from './records.store';

/**
 * Applying a client's body to a record: plain values, the modifiers `field+` (append or add),
 * `+field` (prepend) and `field-` (remove or subtract), system fields the client may not set, and
 * PocketBase's validation of every field. Pure: no SQL, no hashing.
 */
export interface AppliedInput {
  /** The full row after the input (stored values). */
  row: Row;
  /** Names of the columns the input changed. */
  changed: Set<string>;
  /** Plain-text passwords to hash before writing, by field name. */
  passwords: Map<string, string>;
  /**
   * Auth fields the input changes that only superusers and managers (manageRule) may change:
   * `verified` (set on create or changed), `email` on update.
   */
  managed: string[];
  errors: ErrorData;
}

/** Fields the API never takes from a client: generated, or managed by the auth flows. */
function isManaged(collection: Collection, field: Field): boolean {
  if (field.type === 'autodate') return true;
  return collection.type === 'auth' && field.name === 'tokenKey';
}

type Modifier = 'set' | 'append' | 'prepend' | 'remove';

export function parseKey(key: string): { name: string; modifier: Modifier } {
  if (key.endsWith('+')) return { name: key.slice(0, -1), modifier: 'append' };
  if (key.startsWith('+')) return { name: key.slice(1), modifier: 'prepend' };
  if (key.endsWith('-')) return { name: key.slice(0, -1), modifier: 'remove' };
  return { name: key, modifier: 'set' };
}

function applyModifier(field: Field, current: Stored, raw: unknown, modifier: Modifier): Stored {
  if (modifier === 'set') return prepareValue(field, raw);
  if (field.type === 'number') {
    const delta = Number(prepareValue(field, raw));
    return Number(current ?? 0) + (modifier === 'remove' ? -delta : delta);
  }
  const values = toList(isMultiple(field) ? JSON.parse(String(current ?? '[]')) : current);
  const given = toList(raw);
  let next: string[];
  if (modifier === 'remove') next = values.filter((v) => !given.includes(v));
  else if (modifier === 'append') next = [...values, ...given.filter((v) => !values.includes(v))];
  else next = [...given.filter((v) => !values.includes(v)), ...values];
  return prepareValue(field, next);
}

/**
 * The row `input` makes of `base` (the stored row for an update, null for a create). Unknown keys are
 * ignored, as PocketBase does; `passwordConfirm` is checked against `password` on auth collections.
 */
export function applyInput(
  collection: Collection,
  base: Row | null,
  input: Record<string, unknown>,
): AppliedInput {
  const isNew = base === null;
  const row: Row = {};
  for (const f of collection.fields) row[f.name] = base ? base[f.name] : zeroValue(f);
  const changed = new Set<string>();
  const passwords = new Map<string, string>();
  const errors: ErrorData = {};

  for (const [key, raw] of Object.entries(input)) {
    const { name, modifier } = parseKey(key);
    const field = findField(collection, name);
    if (!field || isManaged(collection, field)) continue;
    if (field.name === 'id' && !isNew) {
      if (raw !== base['id'])
        errors['id'] = { code: 'validation_pk_change', message: 'The record primary key cannot be changed.' };
      continue;
    }
    if (field.type === 'password') {
      if (modifier !== 'set') continue;
      const plain = typeof raw === 'string' ? raw : '';
      if (plain === '' && !isNew) continue;
      passwords.set(field.name, plain);
      changed.add(field.name);
      const error = validateValue(field, plain);
      if (error) errors[field.name] = error;
      continue;
    }
    if (
      field.type === 'file' &&
      modifier === 'set' &&
      raw !== null &&
      raw !== '' &&
      !(Array.isArray(raw) && raw.length === 0)
    ) {
      // Uploads arrive with the files capability; until then only keeping or clearing names works.
      const current = toList(
        isMultiple(field) ? JSON.parse(String(row[field.name] ?? '[]')) : row[field.name],
      );
      const wanted = toList(raw);
      if (wanted.some((n) => !current.includes(n))) {
        errors[field.name] = {
          code: 'validation_invalid_file',
          message: 'File uploads are not supported yet.',
        };
        continue;
      }
    }
    // Modifiers apply to numbers and multi-valued fields only; PocketBase ignores them elsewhere.
    if (modifier !== 'set' && field.type !== 'number' && !isMultiple(field)) continue;
    const next = applyModifier(field, row[field.name] as Stored, raw, modifier);
    if (next !== row[field.name]) changed.add(field.name);
    row[field.name] = next;
  }

  const now = formatDateTime(new Date());
  for (const f of collection.fields) {
    if (f.type === 'autodate' && ((isNew && f.onCreate) || (!isNew && f.onUpdate))) {
      row[f.name] = now;
      changed.add(f.name);
    }
    if (isNew && f.type === 'text' && row[f.name] === '' && f.autogeneratePattern) {
      row[f.name] = autogenerate(f.autogeneratePattern);
      changed.add(f.name);
    }
  }

  for (const f of collection.fields) {
    if (f.type === 'password' || errors[f.name]) continue;
    if (!isNew && !changed.has(f.name) && !('required' in f && f.required)) continue;
    const error = validateValue(f, row[f.name] as Stored);
    if (error) errors[f.name] = error;
  }
  const managed: string[] = [];
  if (collection.type === 'auth') {
    checkPasswordConfirm(input, passwords, isNew, errors);
    if (isNew ? row['verified'] === 1 : changed.has('verified')) managed.push('verified');
    if (!isNew && changed.has('email')) managed.push('email');
  }
  return { row, changed, passwords, managed, errors };
}

function checkPasswordConfirm(
  input: Record<string, unknown>,
  passwords: Map<string, string>,
  isNew: boolean,
  errors: ErrorData,
): void {
  const password = passwords.get('password');
  if (password === undefined) {
    if (isNew) errors['password'] ??= { code: 'validation_required', message: 'Cannot be blank.' };
    return;
  }
  const confirm = input['passwordConfirm'];
  if (confirm === undefined || confirm === '' || confirm === null) {
    errors['passwordConfirm'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (confirm !== password) {
    errors['passwordConfirm'] = { code: 'validation_values_mismatch', message: "Values don't match." };
  }
}

/**
 * The body access rules see as `@request.body`: what the client sent, with each modifier key
 * (`tags+`, `views-`) replaced by the field's final value under its plain name, as PocketBase does —
 * so a rule on `@request.body.tags` cannot be sidestepped with `tags+`.
 */
export function rulesBody(
  collection: Collection,
  input: Record<string, unknown>,
  row: Row,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) if (parseKey(key).modifier === 'set') body[key] = raw;
  for (const key of Object.keys(input)) {
    const { name, modifier } = parseKey(key);
    const field = findField(collection, name);
    if (modifier !== 'set' && field) body[name] = exportValue(field, row[name]);
  }
  return body;
}

/**
 * What a client may write: hidden fields are the server's (or a superuser's) to set, so for anyone
 * else they are dropped from the input, and so from `@request.body` too (PocketBase's
 * recordDataFromRequest). An auth collection's password stays: it is hidden but set by its owner.
 */
export function writableInput(
  collection: Collection,
  input: Record<string, unknown>,
  isSuperuser: boolean,
): Record<string, unknown> {
  if (isSuperuser) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const field = findField(collection, parseKey(key).name);
    if (field?.hidden && !(collection.type === 'auth' && field.type === 'password')) continue;
    out[key] = value;
  }
  return out;
}
