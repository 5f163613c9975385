import type { CollectionField, CollectionModel } from 'pocketbase';

/**
 * What the console's records pages need to know about a collection's fields (api/collections/
 * collection.model.ts has the server's side): which hold several values, which a person edits, which
 * the grid shows and which a relation search looks in.
 */

/** Select, file and relation fields hold a list when maxSelect > 1. */
export function isMultiple(field: CollectionField): boolean {
  return (
    (field.type === 'select' || field.type === 'file' || field.type === 'relation') &&
    Number(field['maxSelect'] ?? 0) > 1
  );
}

/** The auth fields the API never shows and never takes from a form. */
function isSecret(collection: CollectionModel, field: CollectionField): boolean {
  return field.type === 'password' || (collection.type === 'auth' && field.name === 'tokenKey');
}

/** The fields a grid can show as columns, in schema order (passwords and token keys are never sent). */
export function gridFields(collection: CollectionModel): CollectionField[] {
  return collection.fields.filter((f) => !isSecret(collection, f));
}

/** The fields a form shows an input for (autodate read-only; passwords get their own inputs). */
export function formFields(collection: CollectionModel): CollectionField[] {
  return collection.fields.filter((f) => !(collection.type === 'auth' && f.name === 'tokenKey'));
}

const TEXTUAL = new Set(['text', 'email', 'url']);

/** Field names a relation search looks in: the id and the short text fields. */
export function searchableFields(collection: CollectionModel): string[] {
  const names = collection.fields
    .filter((f) => TEXTUAL.has(f.type) && !isSecret(collection, f) && f.name !== 'id')
    .map((f) => f.name);
  return ['id', ...names].slice(0, 6);
}

/**
 * The fields that name a record to a person: the presentable ones (PocketBase's choice for relation
 * pickers), else the first few short text fields.
 */
export function displayFields(collection: CollectionModel): string[] {
  const presentable = collection.fields.filter((f) => f.presentable && !isSecret(collection, f));
  if (presentable.length > 0) return presentable.slice(0, 3).map((f) => f.name);
  return collection.fields
    .filter((f) => TEXTUAL.has(f.type) && !isSecret(collection, f) && f.name !== 'id')
    .slice(0, 3)
    .map((f) => f.name);
}

/**
 * A short name for a record in labels ("Select …", "Edit …"): an auth record's email, else its
 * display fields, else its id.
 */
export function recordLabel(collection: CollectionModel | null, record: Record<string, unknown>): string {
  const id = String(record['id'] ?? '');
  if (!collection) return id;
  if (collection.type === 'auth' && typeof record['email'] === 'string' && record['email'] !== '')
    return record['email'];
  const parts = displayFields(collection)
    .map((name) => record[name])
    .filter((v): v is string | number => (typeof v === 'string' && v.trim() !== '') || typeof v === 'number')
    .map((v) => String(v).slice(0, 60));
  return parts.length > 0 ? `${parts.join(' · ')} (${id})` : id;
}
