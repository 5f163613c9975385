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

/** The value a draft sends for its field. */
function draftValue(field: CollectionField, draft: Draft, original: RecordModel | null): unknown {
  switch (field.type) {
    case 'bool':
      return draft === true;
    case 'number': {
      const text = String(draft).trim();
      return text === '' ? null : Number(text);
    }
    case 'date': {
      const local = String(draft);
      if (local === '') return '';
      // Unchanged: send what is stored, so the milliseconds the input cannot show are kept.
      if (original && toLocalInput(original[field.name]) === local) return original[field.name] as unknown;
      return fromLocalInput(local);
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
 * The JSON body of a create (`original` null) or an update. Passwords only when typed (an update
 * keeps the old one otherwise); the id only on create, and only when one was given; file removals
 * as PocketBase's `field-` modifier. Throws SyntaxError for a JSON draft that does not parse (check
 * `jsonProblem` first).
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
    if (field.name === 'id') {
      if (!original && String(draft).trim() !== '') body['id'] = String(draft).trim();
      continue;
    }
    if (field.type === 'password') {
      if (draft !== '') {
        body[field.name] = draft;
        if (collection.type === 'auth' && field.name === 'password')
          body[PASSWORD_CONFIRM] = drafts[PASSWORD_CONFIRM] ?? '';
      }
      continue;
    }
    body[field.name] = draftValue(field, draft, original);
  }
  for (const [name, files] of Object.entries(removedFiles)) if (files.length > 0) body[`${name}-`] = files;
  return body;
}
