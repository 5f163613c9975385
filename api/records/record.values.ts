import { randomInt } from 'node:crypto';
import {
  DEFAULT_EDITOR_MAX_SIZE,
  DEFAULT_JSON_MAX_SIZE,
  DEFAULT_TEXT_MAX,
} from '../collections/collection.fields';
import { isMultiple, type Field } from '../collections/collection.model';
import type { FieldError } from '../core/errors';
import { formatDateTime } from '../lib/time';

/**
 * Field values: how client input becomes a stored column value (PocketBase's lenient casts: "12" is
 * a number, "true" a bool), how a stored value is checked against the field's options (with
 * PocketBase's error codes), and how it is shown in JSON. Stored values are what the table holds:
 * bools 0/1, multi-valued fields and json as JSON text, dates as PocketBase datetime text.
 */
export type Stored = string | number | null;

export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['1', 't', 'true', 'on', 'yes'].includes(v.trim().toLowerCase());
  return false;
}

/** Any list-ish input as unique non-empty texts: an array, one value, or a JSON array in a text. */
export function toList(v: unknown): string[] {
  let list: unknown[];
  if (Array.isArray(v)) list = v;
  else if (v === null || v === undefined || v === '') list = [];
  else if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      list = Array.isArray(parsed) ? parsed : [v];
    } catch {
      list = [v];
    }
  } else list = [v];
  return [...new Set(list.map(toText).filter((s) => s !== ''))];
}

/** PocketBase datetime text from a date-ish input, or '' when it is not a date. */
export function toDateTime(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : formatDateTime(v);
  if (typeof v === 'number') {
    const d = new Date(v * 1000);
    return Number.isNaN(d.getTime()) ? '' : formatDateTime(d);
  }
  if (typeof v !== 'string') return '';
  const text = v.trim();
  // Accept "2024-01-02 03:04:05(.000)(Z)" and ISO forms; plain dates are midnight UTC.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? `${text}T00:00:00Z`
    : text.replace(' ', 'T').replace(/(\d)$/, '$1Z');
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(text) ? '' : formatDateTime(d);
}

/** Turns client input into the stored value of a field (password: the plain text, hashed later). */
export function prepareValue(field: Field, raw: unknown): Stored {
  if (isMultiple(field)) return JSON.stringify(toList(raw));
  switch (field.type) {
    case 'number':
      return toNumber(raw);
    case 'bool':
      return toBool(raw) ? 1 : 0;
    case 'date':
    case 'autodate':
      return toDateTime(raw);
    case 'json':
      return raw === undefined || raw === null ? null : JSON.stringify(raw);
    case 'select':
    case 'relation':
    case 'file': {
      const list = toList(raw);
      return list[list.length - 1] ?? '';
    }
    default:
      return toText(raw);
  }
}

/** The zero value a new record starts with. */
export function zeroValue(field: Field): Stored {
  if (isMultiple(field)) return '[]';
  if (field.type === 'number' || field.type === 'bool') return 0;
  if (field.type === 'json') return null;
  return '';
}

/** The stored value as the API shows it. */
export function exportValue(field: Field, stored: unknown): unknown {
  if (isMultiple(field)) return parseJson(stored, []);
  switch (field.type) {
    case 'number':
      return typeof stored === 'number' ? stored : toNumber(stored);
    case 'bool':
      return stored === 1 || stored === '1' || stored === true;
    case 'json':
      return stored === null || stored === undefined
        ? null
        : typeof stored === 'string'
          ? parseJson(stored, stored)
          : stored;
    default:
      return stored ?? '';
  }
}

function parseJson(v: unknown, fallback: unknown): unknown {
  if (typeof v !== 'string') return v ?? fallback;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return fallback;
  }
}

const err = (code: string, message: string, params?: Record<string, unknown>): FieldError =>
  params ? { code, message, params } : { code, message };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(text: string): boolean {
  return text.length <= 255 && EMAIL.test(text);
}

function domainOf(v: string): string {
  return v.slice(v.lastIndexOf('@') + 1).toLowerCase();
}

function checkDomains(
  domain: string,
  field: { onlyDomains: string[] | null; exceptDomains: string[] | null },
  code: string,
): FieldError | null {
  if (field.onlyDomains?.length && !field.onlyDomains.map((d) => d.toLowerCase()).includes(domain)) {
    return err(code, 'Domain is not allowed.');
  }
  if (field.exceptDomains?.length && field.exceptDomains.map((d) => d.toLowerCase()).includes(domain)) {
    return err(code, 'Domain is not allowed.');
  }
  return null;
}

function isBlank(field: Field, v: Stored): boolean {
  if (v === null || v === '' || v === '[]') return true;
  if (field.type === 'number' || field.type === 'bool') return v === 0;
  if (field.type === 'json') return v === 'null' || v === '""' || v === '{}';
  return false;
}

/**
 * Characters (code points) of `text`, counted no further than `upTo`: a huge value is judged without
 * building an array of its characters (which took seconds and gigabytes for 100 MB of text).
 */
function codePoints(text: string, upTo: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n < upTo; i++, n++) {
    // A surrogate pair is one character.
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return n;
}

/** PocketBase's checks of one stored value against its field; null when it is fine. */
export function validateValue(field: Field, v: Stored): FieldError | null {
  if ('required' in field && field.required && isBlank(field, v))
    return err('validation_required', 'Cannot be blank.');
  // A zero value is "no value": only `required` applies to it (PocketBase skips min/max for 0 too).
  if (isBlank(field, v)) return null;
  switch (field.type) {
    case 'text':
    case 'password': {
      const max = field.type === 'text' && field.max === 0 ? DEFAULT_TEXT_MAX : field.max;
      const length = codePoints(String(v), max > 0 ? max + 1 : Infinity);
      if (field.min > 0 && length < field.min) {
        return err('validation_min_text_constraint', `Must be at least ${field.min} character(s).`, {
          min: field.min,
        });
      }
      if (max > 0 && length > max) {
        return err('validation_max_text_constraint', `Must be no more than ${max} character(s).`, { max });
      }
      if (field.pattern && !new RegExp(field.pattern, 'u').test(String(v))) {
        return err('validation_invalid_format', 'Invalid value format.');
      }
      return null;
    }
    case 'number': {
      const n = Number(v);
      if (!Number.isFinite(n))
        return err('validation_not_a_number', 'The submitted number is not properly formatted.');
      if (field.onlyInt && !Number.isInteger(n))
        return err('validation_only_int_constraint', 'Decimal numbers are not allowed.');
      if (field.min !== null && n < field.min) {
        return err('validation_min_number_constraint', `Must be larger than ${field.min}.`, {
          min: field.min,
        });
      }
      if (field.max !== null && n > field.max) {
        return err('validation_max_number_constraint', `Must be less than ${field.max}.`, { max: field.max });
      }
      return null;
    }
    case 'email': {
      const text = String(v);
      if (!isEmail(text)) return err('validation_is_email', 'Must be a valid email address.');
      return checkDomains(domainOf(text), field, 'validation_email_domain_not_allowed');
    }
    case 'url': {
      let url: URL;
      try {
        url = new URL(String(v));
      } catch {
        return err('validation_invalid_url', 'Must be a valid URL.');
      }
      if (!['http:', 'https:'].includes(url.protocol) || !url.hostname)
        return err('validation_invalid_url', 'Must be a valid URL.');
      return checkDomains(url.hostname.toLowerCase(), field, 'validation_url_domain_not_allowed');
    }
    case 'editor': {
      const max = field.maxSize || DEFAULT_EDITOR_MAX_SIZE;
      if (Buffer.byteLength(String(v)) > max) {
        return err('validation_content_size_limit', `The maximum allowed content size is ${max} bytes.`, {
          maxSize: max,
        });
      }
      return null;
    }
    case 'date': {
      const text = String(v);
      if (field.min && text < field.min)
        return err('validation_min_greater_equal_than_required', `Must be no earlier than ${field.min}.`);
      if (field.max && text > field.max)
        return err('validation_max_less_equal_than_required', `Must be no later than ${field.max}.`);
      return null;
    }
    case 'json': {
      const max = field.maxSize || DEFAULT_JSON_MAX_SIZE;
      if (Buffer.byteLength(String(v)) > max) {
        return err('validation_json_size_limit', `The maximum allowed JSON size is ${max} bytes.`, {
          maxSize: max,
        });
      }
      return null;
    }
    case 'select': {
      const values = isMultiple(field) ? (JSON.parse(String(v)) as string[]) : [String(v)];
      if (values.some((x) => !field.values.includes(x)))
        return err('validation_invalid_value', 'Invalid value(s).');
      if (values.length > Math.max(1, field.maxSelect)) {
        return err('validation_too_many_values', `Select no more than ${field.maxSelect}.`, {
          maxSelect: field.maxSelect,
        });
      }
      return null;
    }
    case 'relation':
    case 'file': {
      const values = isMultiple(field) ? (JSON.parse(String(v)) as string[]) : [String(v)];
      if (values.length > Math.max(1, field.maxSelect)) {
        return err('validation_too_many_values', `Select no more than ${field.maxSelect}.`, {
          maxSelect: field.maxSelect,
        });
      }
      if (field.type === 'relation' && field.minSelect > 0 && values.length < field.minSelect) {
        return err('validation_not_enough_values', `Select at least ${field.minSelect}.`, {
          minSelect: field.minSelect,
        });
      }
      return null;
    }
    default:
      return null;
  }
}

/** The characters of a regex class body such as `a-z0-9_`. */
function classChars(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const from = body[i]!;
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const to = body[i + 2]!;
      for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c++) out += String.fromCharCode(c);
      i += 2;
    } else out += from === '\\' && i + 1 < body.length ? body[++i]! : from;
  }
  return out;
}

/**
 * A value matching a text field's autogeneratePattern. PocketBase accepts any regex; this covers the
 * forms used in practice: a sequence of literal characters and `[class]` atoms, each with an
 * optional `{n}` or `{n,m}` (`[a-z0-9]{15}`, `[A-Z]{6}`, `inv-[0-9]{4}`). Anything else falls back
 * to 15 characters of [a-z0-9].
 */
export function autogenerate(pattern: string): string {
  const atom = /(\[([^\]]+)\]|\\.|[^[\]{}()|*+?^$.\\])(?:\{(\d{1,3})(?:,(\d{1,3}))?\})?/y;
  let out = '';
  let pos = 0;
  while (pos < pattern.length) {
    atom.lastIndex = pos;
    const m = atom.exec(pattern);
    if (!m) return autogenerate('[a-z0-9]{15}');
    const chars = m[2] !== undefined ? classChars(m[2]) : m[1]!.replace(/^\\/, '');
    const min = m[3] !== undefined ? Number(m[3]) : 1;
    const max = m[4] !== undefined ? Number(m[4]) : min;
    const count = min + (max > min ? randomInt(max - min + 1) : 0);
    for (let i = 0; i < count; i++) out += chars[randomInt(chars.length)];
    pos = atom.lastIndex;
  }
  return out;
}
