import type { CollectionField, CollectionModel, RecordModel } from 'pocketbase';
import { fromLocalInput, toLocalInput } from './date';
import { isMultiple } from './fields';

/**
 * A record form's values while a person edits them ("drafts": what the inputs hold) and the JSON body
 * they become. Files are not drafts: they travel as multipart uploads (upload.ts).
 */

/** Text inputs hold a string, checkboxes a boolean, multi-selects and relations a list of ids. */
export type Draft = string | boolean | string[];
export type Drafts = Record<string, Draft>;

/** The key of the second password input of an auth collection, as the API names it. */
export const PASSWORD_CONFIRM = 'passwordConfirm';

/** Fields a form never sends: the server sets them (autodate) or they travel apart (file). */
function isSent(field: CollectionField): boolean {
  return field.type !== 'autodate' && field.type !== 'file';
}

/** The draft of one field for a record (or a new one when `record` is null). */
export function initialDraft(field: CollectionField, record: RecordModel | null): Draft {
  const value: unknown = record?.[field.name];
  switch (field.type) {
    case 'bool':
      return value === true;
    case 'number':
      return typeof value === 'number' && record ? String(value) : '';
    case 'date':
      return toLocalInput(value);
    case 'json':
      return value === null || value === undefined ? '' : JSON.stringify(value, null, 2);
    case 'relation':
      return toIds(value);
    case 'select':
      return isMultiple(field) ? toIds(value) : typeof value === 'string' ? value : '';
    case 'password':
      return '';
    default:
      return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  }
}

function toIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** The drafts of every field of a form, plus the password confirmation of an auth collection. */
export function initialDrafts(
  fields: CollectionField[],
  record: RecordModel | null,
  isAuth: boolean,
): Drafts {
  const drafts: Drafts = {};
  for (const f of fields) drafts[f.name] = initialDraft(f, record);
  if (isAuth) drafts[PASSWORD_CONFIRM] = '';
  return drafts;
}

/** Why a JSON draft cannot be sent, or null when it parses (or is empty, which means null). */
export function jsonProblem(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function isNumberText(text: string): boolean {
  return Number.isFinite(Number(text));
}

/**
 * The fields whose drafts cannot be sent: JSON that does not parse, and numbers that are not numbers.
 * `unreadable` names the inputs whose text the browser could not read as their type
 * (`validity.badInput`: "1e", "-"); such an input reports '' and its draft keeps its last good value,
 * so only this flag tells that what is on screen is not what would be saved.
 */
export function unsendableFields(
  fields: readonly CollectionField[],
  drafts: Drafts,
  unreadable: Readonly<Record<string, boolean>> = {},
): string[] {
  return fields
    .filter((f) => {
      if (unreadable[f.name]) return true;
      const text = String(drafts[f.name] ?? '');
      if (f.type === 'json') return jsonProblem(text) !== null;
      if (f.type === 'number') return text.trim() !== '' && !isNumberText(text.trim());
      return false;
    })
    .map((f) => f.name);
}

/** Drafts are equal: the same text or flag, or the same ids in the same order. */
function sameDraft(a: Draft, b: Draft): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** The value a draft sends for its field. */
function draftValue(field: CollectionField, draft: Draft): unknown {
  switch (field.type) {
    case 'bool':
      return draft === true;
    case 'number': {
      const text = String(draft).trim();
      if (text === '') return null;
      // NaN would go out as JSON null and clear the stored number.
      if (!isNumberText(text)) throw new RangeError(`Not a number: ${JSON.stringify(text)}`);
      return Number(text);
    }
    case 'date': {
      const local = String(draft);
      return local === '' ? '' : fromLocalInput(local);
    }
    case 'json': {
      const text = String(draft);
      return text.trim() === '' ? null : (JSON.parse(text) as unknown);
    }
    case 'relation':
    case 'select': {
      const ids = Array.isArray(draft) ? draft : draft === '' ? [] : [String(draft)];
      return isMultiple(field) ? ids : (ids[0] ?? '');
    }
    default:
      return typeof draft === 'string' ? draft : String(draft);
  }
}

/**
 * The JSON body of a create (`original` null) or an update: only the fields whose drafts differ from
 * where the form started (`initialDraft`), so an update does not put back values someone else changed
 * meanwhile (a user verified elsewhere stays verified), and a create sends only what was filled in.
 * Passwords go only when typed (with the confirmation, on an auth collection); the id only on create;
 * file removals as PocketBase's `field-` modifier (new files travel apart, upload.ts). Throws
 * SyntaxError for a JSON draft that does not parse and RangeError for a number draft that is not one
 * (check `unsendableFields` first).
 */
export function buildPayload(
  collection: Pick<CollectionModel, 'type' | 'fields'>,
  drafts: Drafts,
  original: RecordModel | null,
  removedFiles: Record<string, string[]> = {},
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of collection.fields) {
    if (!isSent(field) || !(field.name in drafts)) continue;
    if (collection.type === 'auth' && field.name === 'tokenKey') continue;
    const draft = drafts[field.name]!;
    if (sameDraft(draft, initialDraft(field, original))) continue;
    if (field.name === 'id') {
      if (!original && String(draft).trim() !== '') body['id'] = String(draft).trim();
      continue;
    }
    if (field.type === 'password') {
      body[field.name] = draft;
      if (collection.type === 'auth' && field.name === 'password')
        body[PASSWORD_CONFIRM] = drafts[PASSWORD_CONFIRM] ?? '';
      continue;
    }
    body[field.name] = draftValue(field, draft);
  }
  for (const [name, files] of Object.entries(removedFiles)) if (files.length > 0) body[`${name}-`] = files;
  return body;
}
