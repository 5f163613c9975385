import { crc32 } from 'node:zlib';
import type { ErrorData, FieldError } from '../core/errors';
import { FIELD_TYPES, type Field, type FieldType } from './collection.model';

/**
 * Turning a client's field JSON into a complete Field: every option present with PocketBase's
 * default, unknown keys dropped, wrong types reported as `data.fields.<i>.<option>` errors.
 */

/** PocketBase's default field id: the type followed by the CRC-32 of the name ("text3208210256"). */
export function defaultFieldId(type: string, name: string): string {
  return `${type}${crc32(name)}`;
}

type Raw = Record<string, unknown>;
type Check = (raw: Raw, key: string, errors: Record<string, FieldError>) => unknown;

const invalid = (message: string): FieldError => ({ code: 'validation_invalid_value', message });

const bool =
  (fallback = false): Check =>
  (raw, key, errors) => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') errors[key] = invalid('Must be a boolean.');
    return v === true;
  };

const int =
  (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): Check =>
  (raw, key, errors) => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      errors[key] = invalid(`Must be a whole number between ${min} and ${max}.`);
      return fallback;
    }
    return v;
  };

const nullableNumber: Check = (raw, key, errors) => {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    errors[key] = invalid('Must be a number or null.');
    return null;
  }
  return v;
};

const string =
  (max = 5000): Check =>
  (raw, key, errors) => {
    const v = raw[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string' || v.length > max) {
      errors[key] = invalid(`Must be a text of at most ${max} characters.`);
      return '';
    }
    return v;
  };

const regex: Check = (raw, key, errors) => {
  const v = string(2000)(raw, key, errors) as string;
  if (v !== '') {
    try {
      new RegExp(v, 'u');
    } catch {
      errors[key] = { code: 'validation_invalid_regex', message: 'Invalid regular expression.' };
      return '';
    }
  }
  return v;
};

const stringList =
  (nullable: boolean): Check =>
  (raw, key, errors) => {
    const v = raw[key];
    if (v === undefined || v === null) return nullable ? null : [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s.length > 1000) || v.length > 1000) {
      errors[key] = invalid('Must be a list of texts.');
      return nullable ? null : [];
    }
    return [...new Set(v as string[])];
  };

const ONE_MB = 1024 * 1024;

/** Largest thumb side: bigger ones cost a render more memory than a thumbnail is worth. */
export const MAX_THUMB_SIDE = 4096;

/** PocketBase's thumb sizes (`WxH`, `WxHt|b|f`, `0xH`, `Wx0`), each side at most MAX_THUMB_SIDE. */
const thumbs: Check = (raw, key, errors) => {
  const list = stringList(true)(raw, key, errors) as string[] | null;
  for (const size of list ?? []) {
    const m = /^(\d{1,5})x(\d{1,5})[tbf]?$/.exec(size);
    const w = Number(m?.[1]);
    const h = Number(m?.[2]);
    if (!m || (w === 0 && h === 0) || w > MAX_THUMB_SIDE || h > MAX_THUMB_SIDE) {
      errors[key] = {
        code: 'validation_invalid_thumb_size',
        message: `Thumb sizes are WxH, WxHt, WxHb, WxHf, 0xH or Wx0, each side at most ${MAX_THUMB_SIDE}: ${JSON.stringify(size.slice(0, 50))} is not.`,
      };
      return null;
    }
  }
  return list;
};

/** Each type's options and how they are read; common ones (id, name, system, hidden, presentable) apart. */
const OPTIONS: Record<FieldType, Record<string, Check>> = {
  text: {
    required: bool(),
    primaryKey: bool(),
    min: int(0),
    max: int(0),
    pattern: regex,
    autogeneratePattern: string(200),
  },
  number: { required: bool(), min: nullableNumber, max: nullableNumber, onlyInt: bool() },
  bool: { required: bool() },
  email: { required: bool(), exceptDomains: stringList(true), onlyDomains: stringList(true) },
  url: { required: bool(), exceptDomains: stringList(true), onlyDomains: stringList(true) },
  editor: { required: bool(), maxSize: int(0), convertURLs: bool() },
  date: { required: bool(), min: string(40), max: string(40) },
  autodate: { onCreate: bool(), onUpdate: bool() },
  select: { required: bool(), values: stringList(false), maxSelect: int(1, 0) },
  json: { required: bool(), maxSize: int(0) },
  file: {
    required: bool(),
    maxSelect: int(1, 0),
    maxSize: int(0),
    mimeTypes: stringList(true),
    thumbs,
    protected: bool(),
  },
  relation: {
    required: bool(),
    collectionId: string(100),
    cascadeDelete: bool(),
    minSelect: int(0),
    maxSelect: int(1, 0),
  },
  password: { required: bool(), min: int(0, 0, 71), max: int(0, 0, 71), pattern: regex, cost: int(0, 0, 31) },
};

export const DEFAULT_TEXT_MAX = 5000;
export const DEFAULT_EDITOR_MAX_SIZE = 5 * ONE_MB;
export const DEFAULT_JSON_MAX_SIZE = ONE_MB;

export const FIELD_NAME_PATTERN = /^\w+$/;
const RESERVED_FIELD_NAMES = new Set(['expand', 'collectionid', 'collectionname', 'passwordconfirm']);

/**
 * A complete field from client JSON, or errors keyed by option. `existing` is the field with the same
 * id (or name) in the saved collection: its id is kept and its type may not change.
 */
export function normalizeField(
  input: unknown,
  existing: Field | undefined,
): { field?: Field; errors: ErrorData } {
  const errors: Record<string, FieldError> = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { errors: { type: invalid('Each field must be an object.') } };
  }
  const raw = input as Raw;
  const type = raw['type'];
  if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type)) {
    return {
      errors: {
        type: {
          code: 'validation_invalid_field_type',
          message: `Must be one of: ${FIELD_TYPES.join(', ')}.`,
        },
      },
    };
  }
  if (existing && existing.type !== type) {
    errors['type'] = { code: 'validation_field_type_change', message: 'The field type cannot be changed.' };
  }
  const name = raw['name'];
  if (typeof name !== 'string' || name === '') {
    errors['name'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (name.length > 255 || !FIELD_NAME_PATTERN.test(name)) {
    errors['name'] = { code: 'validation_match_invalid', message: 'Must be in a valid format.' };
  } else if (RESERVED_FIELD_NAMES.has(name.toLowerCase()) || name.includes('_via_')) {
    errors['name'] = { code: 'validation_not_in_invalid', message: 'The name is reserved.' };
  }
  const id = typeof raw['id'] === 'string' && raw['id'] !== '' ? raw['id'] : (existing?.id ?? '');
  const field: Raw = {
    id: id || defaultFieldId(type, typeof name === 'string' ? name : ''),
    name: typeof name === 'string' ? name : '',
    type,
    system: existing?.system ?? false,
    hidden: bool()(raw, 'hidden', errors),
    presentable: bool()(raw, 'presentable', errors),
  };
  if (
    typeof field['id'] === 'string' &&
    (field['id'].length > 100 || !FIELD_NAME_PATTERN.test(field['id']))
  ) {
    errors['id'] = { code: 'validation_match_invalid', message: 'Must be in a valid format.' };
  }
  for (const [key, check] of Object.entries(OPTIONS[type as FieldType])) field[key] = check(raw, key, errors);
  checkRanges(field, errors);
  return Object.keys(errors).length > 0 ? { errors } : { field: field as unknown as Field, errors: {} };
}

function checkRanges(field: Raw, errors: Record<string, FieldError>): void {
  const { min, max } = field;
  if (
    typeof min === 'number' &&
    typeof max === 'number' &&
    max !== 0 &&
    min > max &&
    field['type'] !== 'date'
  ) {
    errors['max'] = {
      code: 'validation_min_greater_equal_than_required',
      message: 'Must be no less than min.',
    };
  }
  if (field['type'] === 'select' && (field['values'] as string[]).length === 0) {
    errors['values'] = { code: 'validation_required', message: 'Cannot be blank.' };
  }
  if (field['type'] === 'relation' && field['collectionId'] === '') {
    errors['collectionId'] = { code: 'validation_required', message: 'Cannot be blank.' };
  }
  if (field['type'] === 'autodate' && !field['onCreate'] && !field['onUpdate']) {
    errors['onCreate'] = {
      code: 'validation_required',
      message: 'At least one of onCreate and onUpdate must be set.',
    };
  }
}
