/**
 * Export and import of collections as JSON, as PocketBase's dashboard does: the export is the list
 * of collection models; an import file may be that list or `{ "collections": [...] }`.
 */

export interface CollectionLike {
  id?: string;
  name: string;
  type?: string;
  system?: boolean;
  [key: string]: unknown;
}

export interface ImportPlan {
  collections: CollectionLike[];
  added: string[];
  changed: string[];
  /** Only when "delete missing" is on: collections of this Hearth the file does not have. */
  deleted: string[];
}

export class ImportFileError extends Error {}

/** The export file's text: stable, readable JSON. */
export function exportText(collections: readonly CollectionLike[]): string {
  return `${JSON.stringify(collections, null, 2)}\n`;
}

/**
 * Reads an import file and says what it would do against the current collections. Throws
 * ImportFileError (a sentence for the user) for anything that is not a list of named collections.
 */
export function planImport(
  text: string,
  current: readonly CollectionLike[],
  deleteMissing: boolean,
): ImportPlan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ImportFileError('notJson');
  }
  const list =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as { collections?: unknown }).collections
      : parsed;
  if (!Array.isArray(list) || list.length === 0) throw new ImportFileError('notList');
  for (const item of list) {
    if (!item || typeof item !== 'object' || typeof (item as CollectionLike).name !== 'string')
      throw new ImportFileError('unnamed');
  }
  const collections = list as CollectionLike[];
  const key = (c: CollectionLike) => c.id || c.name.toLowerCase();
  const byKey = new Map(current.map((c) => [key(c), c]));
  const byName = new Map(current.map((c) => [c.name.toLowerCase(), c]));
  const added: string[] = [];
  const changed: string[] = [];
  const seen = new Set<CollectionLike>();
  for (const c of collections) {
    const existing = byKey.get(key(c)) ?? byName.get(c.name.toLowerCase());
    if (existing) {
      seen.add(existing);
      changed.push(c.name);
    } else added.push(c.name);
  }
  const deleted = deleteMissing ? current.filter((c) => !seen.has(c) && !c.system).map((c) => c.name) : [];
  return { collections, added, changed, deleted };
}
