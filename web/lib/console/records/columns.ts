/**
 * The grid's column picker, remembered per collection in localStorage. What is kept is the set of
 * hidden columns, so a field added to the collection later shows up without asking.
 */

/** The part of the Web Storage API this needs (so tests can pass a Map-backed one). */
export type ColumnStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export const COLUMNS_KEY_PREFIX = 'hearth_console_columns:';

const keyFor = (collectionId: string) => `${COLUMNS_KEY_PREFIX}${collectionId}`;

/** The hidden column names stored for a collection; nothing hidden when none or unreadable. */
export function loadHiddenColumns(storage: ColumnStorage | undefined, collectionId: string): string[] {
  try {
    const raw = storage?.getItem(keyFor(collectionId));
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed)
      ? [...new Set(parsed.filter((n): n is string => typeof n === 'string'))]
      : [];
  } catch {
    return [];
  }
}

/** Stores the hidden columns; storage that is full or off only means they are not remembered. */
export function saveHiddenColumns(
  storage: ColumnStorage | undefined,
  collectionId: string,
  hidden: readonly string[],
): void {
  try {
    if (hidden.length === 0) storage?.removeItem(keyFor(collectionId));
    else storage?.setItem(keyFor(collectionId), JSON.stringify([...new Set(hidden)].sort()));
  } catch {
    // Quota exceeded or storage disabled: the choice lasts for this visit only.
  }
}

/** The hidden list after showing or hiding one column. */
export function toggleColumn(hidden: readonly string[], name: string, visible: boolean): string[] {
  const rest = hidden.filter((n) => n !== name);
  return visible ? rest : [...rest, name];
}
