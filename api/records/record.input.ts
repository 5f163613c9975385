import {
  fileMaxSize,
  findField,
  isMultiple,
  type Collection,
  type Field,
  type FileField,
} from '../collections/collection.model';
import type { ErrorData, FieldError } from '../core/errors';
import { mimeAllowed } from '../files/files.mime';
import { Upload } from '../files/files.upload';
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
  /** New files the row now names, by field name, to move into place with the write. */
  uploads: Map<string, Upload[]>;
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

/** A file field's value while input is applied: kept names and new uploads. */
type FileValue = string | Upload;

const fileName = (v: FileValue): string => (v instanceof Upload ? v.name : v);

function storedNames(field: FileField, stored: unknown): string[] {
  return toList(isMultiple(field) ? JSON.parse(String(stored ?? '[]')) : stored);
}

function fileValues(raw: unknown): FileValue[] {
  const list = raw instanceof Upload ? [raw] : Array.isArray(raw) ? raw : toList(raw);
  return list.filter((v): v is FileValue => v instanceof Upload || (typeof v === 'string' && v !== ''));
}

/** PocketBase's file setters: set, `f+` append, `+f` prepend, `f-` remove by name; names stay unique. */
function applyFileModifier(current: FileValue[], raw: unknown, modifier: Modifier): FileValue[] {
  const given = fileValues(raw);
  let next: FileValue[];
  if (modifier === 'remove') {
    const drop = new Set(given.map(fileName));
    next = current.filter((v) => !drop.has(fileName(v)));
  } else if (modifier === 'append') next = [...current, ...given];
  else if (modifier === 'prepend') next = [...given, ...current];
  else next = given;
  const seen = new Set<string>();
  return next.filter((v) => !seen.has(fileName(v)) && seen.add(fileName(v)));
}

/**
 * PocketBase's FileField.ValidateValue: names must be files the record already has (new files
 * come as uploads), at most maxSelect of them, each upload within maxSize and of an allowed type.
 */
function validateFiles(field: FileField, old: string[], values: FileValue[]): FieldError | null {
  const invented = values.filter((v): v is string => typeof v === 'string' && !old.includes(v));
  if (invented.length > 0) {
    return {
      code: 'validation_invalid_file',
      message: `Invalid new files: ${JSON.stringify(invented.map((n) => n.slice(0, 250)))}.`,
    };
  }
  const max = Math.max(1, field.maxSelect);
  if (values.length > max) {
    return { code: 'validation_too_many_files', message: `The maximum allowed files is ${max}.` };
  }
  for (const upload of values) {
    if (!(upload instanceof Upload)) continue;
    const limit = fileMaxSize(field);
    if (upload.size > limit) {
      return {
        code: 'validation_file_size_limit',
        message: `Failed to upload ${JSON.stringify(upload.originalName)} - the maximum allowed file size is ${limit} bytes.`,
      };
    }
    if (field.mimeTypes && field.mimeTypes.length > 0 && !mimeAllowed(upload.mime, field.mimeTypes)) {
      return {
        code: 'validation_invalid_mime_type',
        message: `${JSON.stringify(upload.originalName)} mime type must be one of: ${field.mimeTypes.join(', ')}.`,
      };
    }
  }
  return null;
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
  const files = new Map<FileField, FileValue[]>();
  const uploads = new Map<string, Upload[]>();

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
    if (field.type === 'file') {
      let list = files.get(field);
      if (!list) files.set(field, (list = storedNames(field, row[field.name])));
      files.set(field, applyFileModifier(list, raw, modifier));
      continue;
    }
    // Modifiers apply to numbers and multi-valued fields only; PocketBase ignores them elsewhere.
    if (modifier !== 'set' && field.type !== 'number' && !isMultiple(field)) continue;
    const next = applyModifier(field, row[field.name] as Stored, raw, modifier);
    if (next !== row[field.name]) changed.add(field.name);
    row[field.name] = next;
  }

  for (const [field, list] of files) {
    const values = isMultiple(field) ? list : list.slice(-1);
    const error = validateFiles(field, base ? storedNames(field, base[field.name]) : [], values);
    if (error) errors[field.name] = error;
    const names = values.map(fileName);
    const next = isMultiple(field) ? JSON.stringify(names) : (names[0] ?? '');
    if (next !== row[field.name]) changed.add(field.name);
    row[field.name] = next;
    const added = values.filter((v): v is Upload => v instanceof Upload);
    if (added.length > 0) uploads.set(field.name, added);
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
  return { row, changed, passwords, uploads, managed, errors };
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
 * The body access rules see as `@request.body`: for each field the client sent (plainly or with a
 * modifier, `tags+`), the value the record will hold — normalized as it is stored — under the
 * field's plain name, as PocketBase does for modifiers; other keys as sent. So a rule cannot be
 * sidestepped with `tags+`, nor with a list where one value is stored: `{"note": ["mine",
 * "yours"]}` stores "yours" and must be judged as "yours", not as its first element.
 */
export function rulesBody(
  collection: Collection,
  input: Record<string, unknown>,
  row: Row,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    const { name, modifier } = parseKey(key);
    const field = findField(collection, name);
    // A password is stored hashed: rules see what was sent.
    if (field && field.type !== 'password') {
      body[name] = exportValue(field, row[name]);
      continue;
    }
    if (modifier !== 'set') continue;
    // Rules see an upload as the name it is stored under.
    body[key] = Array.isArray(raw)
      ? raw.map((v: unknown) => (v instanceof Upload ? v.name : v))
      : raw instanceof Upload
        ? raw.name
        : raw;
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
