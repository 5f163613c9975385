import { compileFilter, FilterError, type FieldResolver, type ResolvedIdentifier } from '../lib/filter';
import { SqlParams } from '../lib/sql';
import type { LogWhere } from './logs.store';

/**
 * Filters and sorts over `_logs`, as PocketBase's logs API allows them (apis/logs.go logFilterFields
 * with search.SimpleFieldResolver): `rowid`, the columns `id`, `created`, `level`, `message`, `data`, and any
 * `data.<path>` read with json_extract. Values only ever reach SQL bound; a path reaches it as text,
 * but only made of word characters (checked here), inside a quoted JSON path.
 */

const COLUMNS = new Set(['rowid', 'id', 'created', 'level', 'message', 'data']);
const DATA_PATH = /^data(?:\.\w+)+$/;

/** PocketBase's limit on sort fields (the same as the records list). */
export const MAX_SORT_FIELDS = 8;

export const logFieldResolver: FieldResolver = {
  resolve(identifier: string): ResolvedIdentifier {
    if (COLUMNS.has(identifier)) return { sql: identifier };
    if (DATA_PATH.test(identifier)) {
      const path = identifier
        .split('.')
        .slice(1)
        .map((key) => (/^\d+$/.test(key) ? `[${key}]` : `.${key}`))
        .join('');
      // A missing key is NULL, which PocketBase compares as NULL (no COALESCE) for JSON paths.
      return { sql: `json_extract(data, '$${path}')`, noCoalesce: true };
    }
    throw new FilterError(
      `Invalid filter: unknown field ${JSON.stringify(identifier)}; logs have id, created, level, message and data.*.`,
    );
  },
};

/** The WHERE fragment of a client's filter, or null for none. Throws FilterError. */
export function compileLogFilter(filter: string): LogWhere | null {
  if (filter.trim() === '') return null;
  const params = new SqlParams();
  const sql = compileFilter(filter, logFieldResolver, params);
  return { sql, params: params.values };
}

/**
 * ORDER BY for a client's sort (`-created,level`): fields as the filter's plus `@rowid` and `@random`. Without one, entries come in the order they were written, as PocketBase lists them.
 * Throws FilterError.
 */
export function compileLogSort(sort: string): string {
  const items = sort
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) return 'rowid';
  if (items.length > MAX_SORT_FIELDS) {
    throw new FilterError(`Invalid sort: more than ${MAX_SORT_FIELDS} fields.`);
  }
  return items
    .map((item) => {
      const desc = item.startsWith('-');
      const name = desc || item.startsWith('+') ? item.slice(1) : item;
      const dir = desc ? 'DESC' : 'ASC';
      if (name === '@random') return 'RANDOM()';
      if (name === '@rowid') return `rowid ${dir}`;
      try {
        return `${logFieldResolver.resolve(name).sql} ${dir}`;
      } catch (err) {
        if (err instanceof FilterError) {
          throw new FilterError(err.message.replace(/^Invalid filter:/, 'Invalid sort:'));
        }
        throw err;
      }
    })
    .join(', ');
}
