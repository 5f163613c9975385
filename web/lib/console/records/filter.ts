/**
 * Filters the console builds from what a person typed (a relation search, ids, identities). User
 * text never goes into a filter raw: it is quoted for the filter grammar (api/lib/filter/filter.lex.ts,
 * PocketBase's fexpr scanner), and a search is escaped for SQL LIKE as well.
 *
 * Not the SDK's `pb.filter()`: it quotes with JSON.stringify, whose escapes the grammar does not
 * read (`\n` stays two characters, and text ending in a backslash leaves the quote unclosed).
 */

/** Searches longer than this are cut: the whole filter must stay under the server's 3500 characters. */
export const MAX_SEARCH_LENGTH = 100;

const FIELD_NAME = /^(\w+|@rowid)$/;

function checkName(name: string): string {
  if (!FIELD_NAME.test(name)) throw new RangeError(`Not a field name: ${JSON.stringify(name)}`);
  return name;
}

/**
 * Text as a quoted filter literal. In the grammar only a backslash right before the closing quote
 * escapes it, so `"` becomes `\"` and every other character stands for itself; a text that ends in
 * a backslash cannot be written at all and is refused.
 */
export function quoteFilterText(text: string): string {
  if (text.endsWith('\\')) throw new RangeError('A filter text cannot end with a backslash.');
  return `"${text.replaceAll('"', '\\"')}"`;
}

/**
 * A LIKE pattern matching values that contain `text`: `%`, `_` and `\` escaped, wrapped in `%`. The
 * server uses a value with an unescaped `%` as the pattern it is (filter.compile.ts toLikePattern),
 * and since it ends in `%` it can always be quoted.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `(a ~ "%x%" || b ~ "%x%")` over the given fields, or '' for a blank search. */
export function searchFilter(fields: readonly string[], search: string): string {
  const text = search.trim().slice(0, MAX_SEARCH_LENGTH);
  if (text === '' || fields.length === 0) return '';
  const value = quoteFilterText(containsPattern(text));
  return `(${fields.map((f) => `${checkName(f)} ~ ${value}`).join(' || ')})`;
}

/** `id = "a" || id = "b"`: the records with these ids. */
export function idsFilter(ids: readonly string[]): string {
  return ids.map((id) => `id = ${quoteFilterText(id)}`).join(' || ');
}

/** The `_externalAuths` rows of one account (api/auth/migrations/20261122080000_external_auths.ts). */
export function identitiesFilter(collectionId: string, recordId: string): string {
  return `collectionRef = ${quoteFilterText(collectionId)} && recordRef = ${quoteFilterText(recordId)}`;
}
