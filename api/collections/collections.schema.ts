import type BetterSqlite3 from 'better-sqlite3';
import { ApiError, type ErrorData } from '../core/errors';
import { quoteIdent } from '../lib/sql';
import { defaultFieldId } from './collection.fields';
import { isMultiple, type Collection, type Field, type Schema } from './collection.model';

/**
 * The DDL side of collections: each base/auth collection is a real table with one column per field,
 * each view collection a SQL view. Changes are applied with ALTER TABLE (add, rename and drop column,
 * rename table) so rows survive; the caller runs all of it inside one transaction.
 */

/** The column declaration of a field, as PocketBase's SQLite schema has it. */
export function columnDefinition(field: Field): string {
  const name = quoteIdent(field.name);
  if (field.name === 'id') return `${name} TEXT PRIMARY KEY NOT NULL`;
  if (isMultiple(field)) return `${name} JSON DEFAULT '[]' NOT NULL`;
  switch (field.type) {
    case 'number':
      return `${name} NUMERIC DEFAULT 0 NOT NULL`;
    case 'bool':
      return `${name} BOOLEAN DEFAULT FALSE NOT NULL`;
    case 'json':
      return `${name} JSON DEFAULT NULL`;
    default:
      return `${name} TEXT DEFAULT '' NOT NULL`;
  }
}

export interface ParsedIndex {
  unique: boolean;
  name: string;
  columns: string;
  where: string;
}

const INDEX_PATTERN =
  /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"[]?(\w+)[`"\]]?\s+ON\s+[`"[]?\w+[`"\]]?\s*\(([\s\S]+?)\)\s*(?:WHERE\s+([\s\S]+?))?\s*;?\s*$/i;

/** PocketBase keeps indexes as CREATE INDEX text; parsed so a table rename can rewrite them. */
export function parseIndex(sql: string): ParsedIndex | null {
  // One statement only: a `;` anywhere but at the very end could smuggle a second one.
  if (sql.trim().replace(/;\s*$/, '').includes(';')) return null;
  const m = INDEX_PATTERN.exec(sql);
  if (!m) return null;
  return { unique: Boolean(m[1]), name: m[2]!, columns: m[3]!.trim(), where: (m[4] ?? '').trim() };
}

/** Whether a unique index covers exactly this one column (PocketBase's FindSingleColumnUniqueIndex). */
export function hasSingleColumnUniqueIndex(collection: Collection, column: string): boolean {
  return collection.indexes.some((text) => {
    const index = parseIndex(text);
    const columns = index?.unique ? index.columns.split(',') : [];
    const name = columns[0]
      ?.trim()
      .split(/\s+/)[0]
      ?.replace(/^["`[]|["`\]]$/g, '');
    return columns.length === 1 && name?.toLowerCase() === column.toLowerCase();
  });
}

export function buildIndex(index: ParsedIndex, table: string): string {
  const where = index.where ? ` WHERE ${index.where}` : '';
  return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index.name)} ON ${quoteIdent(table)} (${index.columns})${where}`;
}

/** Creates the collection's indexes, except those in `existing` (already there, unchanged). */
function createIndexes(
  sql: BetterSqlite3.Database,
  collection: Collection,
  existing: ReadonlySet<string> = new Set(),
): void {
  const errors: ErrorData = {};
  collection.indexes.forEach((text, i) => {
    const parsed = parseIndex(text);
    if (!parsed) {
      errors[String(i)] = {
        code: 'validation_invalid_index_expression',
        message: 'Invalid CREATE INDEX expression.',
      };
      return;
    }
    collection.indexes[i] = buildIndex(parsed, collection.name);
    if (existing.has(collection.indexes[i]!)) return;
    try {
      sql.prepare(collection.indexes[i]!).run(); // prepare refuses more than one statement
    } catch (err) {
      errors[String(i)] = {
        code: 'validation_invalid_index_expression',
        message: `Failed to create the index: ${(err as Error).message}.`,
      };
    }
  });
  if (Object.keys(errors).length > 0)
    throw ApiError.badRequest('Failed to save collection.', { indexes: errors });
}

function dropIndexes(sql: BetterSqlite3.Database, collection: Collection, keep: ReadonlySet<string>): void {
  for (const text of collection.indexes) {
    if (keep.has(text)) continue;
    const parsed = parseIndex(text);
    if (parsed) sql.exec(`DROP INDEX IF EXISTS ${quoteIdent(parsed.name)}`);
  }
}

/** Creates the table (or view) of a new collection, with its indexes. */
export function createCollectionTable(sql: BetterSqlite3.Database, collection: Collection): void {
  if (collection.type === 'view') {
    saveView(sql, collection, undefined);
    return;
  }
  sql.exec(
    `CREATE TABLE ${quoteIdent(collection.name)} (${collection.fields.map(columnDefinition).join(', ')})`,
  );
  createIndexes(sql, collection);
}

/**
 * Brings the live table from `old` to `next`: fields are matched by id, so a renamed field keeps its
 * values; single ↔ multiple changes convert the stored values as PocketBase does (the last value is
 * kept when going to single).
 */
export function syncCollectionTable(sql: BetterSqlite3.Database, old: Collection, next: Collection): void {
  if (next.type === 'view') {
    saveView(sql, next, old);
    return;
  }
  const kept = unchangedIndexes(old, next);
  dropIndexes(sql, old, kept);
  const table = quoteIdent(next.name);
  if (old.name !== next.name) sql.exec(`ALTER TABLE ${quoteIdent(old.name)} RENAME TO ${table}`);
  for (const f of old.fields) {
    if (!next.fields.some((n) => n.id === f.id))
      sql.exec(`ALTER TABLE ${table} DROP COLUMN ${quoteIdent(f.name)}`);
  }
  // Renames in two steps through temporary names, so swapping two names cannot collide.
  const renamed = next.fields.filter((n) => {
    const before = old.fields.find((f) => f.id === n.id);
    return before && before.name !== n.name;
  });
  for (const n of renamed) {
    const before = old.fields.find((f) => f.id === n.id)!;
    sql.exec(
      `ALTER TABLE ${table} RENAME COLUMN ${quoteIdent(before.name)} TO ${quoteIdent(`_tmp_${n.id}`)}`,
    );
  }
  for (const n of renamed)
    sql.exec(`ALTER TABLE ${table} RENAME COLUMN ${quoteIdent(`_tmp_${n.id}`)} TO ${quoteIdent(n.name)}`);
  for (const n of next.fields) {
    const before = old.fields.find((f) => f.id === n.id);
    const column = quoteIdent(n.name);
    if (!before) {
      sql.exec(`ALTER TABLE ${table} ADD COLUMN ${columnDefinition(n)}`);
    } else if (isMultiple(before) && !isMultiple(n)) {
      sql.exec(`UPDATE ${table} SET ${column} = COALESCE(json_extract(${column}, '$[#-1]'), '')`);
    } else if (!isMultiple(before) && isMultiple(n)) {
      sql.exec(
        `UPDATE ${table} SET ${column} = CASE WHEN ${column} = '' OR ${column} IS NULL THEN '[]' ELSE json_array(${column}) END`,
      );
    }
  }
  createIndexes(sql, next, kept);
}

/**
 * The indexes an update leaves as they are: the same SQL on a table whose name and columns keep
 * their names and shapes. Rebuilding them would cost a scan of the table per index on every save
 * (and on every dry run the console sends while rules are typed); a rename, dropped column or
 * single/multiple change rebuilds them all, since SQLite refuses to drop a column an index uses.
 */
function unchangedIndexes(old: Collection, next: Collection): ReadonlySet<string> {
  const structural =
    old.name !== next.name ||
    old.fields.some((f) => {
      const n = next.fields.find((x) => x.id === f.id);
      return !n || n.name !== f.name || isMultiple(n) !== isMultiple(f);
    });
  if (structural) return new Set();
  const wanted = new Set(
    next.indexes.flatMap((text) => {
      const parsed = parseIndex(text);
      return parsed ? [buildIndex(parsed, next.name)] : [];
    }),
  );
  return new Set(old.indexes.filter((text) => wanted.has(text)));
}

export function dropCollectionTable(sql: BetterSqlite3.Database, collection: Collection): void {
  sql.exec(`DROP ${collection.type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${quoteIdent(collection.name)}`);
}

const viewError = (message: string) =>
  ApiError.badRequest('Failed to save collection.', {
    viewQuery: { code: 'validation_invalid_view_query', message },
  });

/**
 * Checks a view's query and derives its fields from the SELECT's columns: a column read straight from
 * a collection's field keeps that field's type and options, anything computed becomes `json`. Runs
 * before the rules are checked, since they name these fields.
 */
export function deriveViewFields(
  sql: BetterSqlite3.Database,
  view: Collection,
  old: Collection | undefined,
  schema: Schema,
): void {
  const query = view.viewQuery ?? '';
  let stmt: BetterSqlite3.Statement;
  try {
    stmt = sql.prepare(query);
  } catch (err) {
    throw viewError(`Invalid query: ${(err as Error).message}.`);
  }
  if (!stmt.reader || !/^\s*(SELECT|WITH)\b/i.test(query)) {
    throw viewError('The query must be a single SELECT statement.');
  }
  const columns = stmt.columns();
  if (!columns.some((c) => c.name === 'id')) throw viewError('The query must select an id column.');
  const names = new Set<string>();
  for (const c of columns) {
    if (!/^\w+$/.test(c.name))
      throw viewError(
        `The column name ${JSON.stringify(c.name)} is not a valid field name; give it an alias.`,
      );
    if (names.has(c.name.toLowerCase())) throw viewError(`The column ${c.name} is selected twice.`);
    names.add(c.name.toLowerCase());
  }
  view.fields = columns.map((c) => {
    const source = c.table && c.column ? schema.find(c.table) : undefined;
    const origin = source?.type !== 'view' ? source?.fields.find((f) => f.name === c.column) : undefined;
    // Secrets of auth records never become view fields (a view has no tokenKey/password protection).
    if (origin?.type === 'password' || (source?.type === 'auth' && origin?.name === 'tokenKey')) {
      throw viewError(`The view cannot select ${source!.name}.${origin.name}.`);
    }
    return viewField(c, old, origin);
  });
  view.indexes = [];
}

/** (Re)creates the SQL view of a view collection whose fields deriveViewFields set. */
function saveView(sql: BetterSqlite3.Database, view: Collection, old: Collection | undefined): void {
  if (old) sql.exec(`DROP VIEW IF EXISTS ${quoteIdent(old.name)}`);
  sql.exec(`DROP VIEW IF EXISTS ${quoteIdent(view.name)}`);
  sql.exec(`CREATE VIEW ${quoteIdent(view.name)} AS ${view.viewQuery ?? ''}`);
}

/**
 * After a table changed: every view must still run. SQLite rewrites a view's SQL when a table it reads
 * is renamed, so the stored viewQuery is taken from the view as it now is. Throws a 400 naming the
 * first view that broke (the caller's transaction then rolls everything back).
 */
export function checkViews(sql: BetterSqlite3.Database, views: Collection[]): Collection[] {
  const changed: Collection[] = [];
  for (const view of views) {
    const row = sql
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?")
      .get(view.name) as { sql: string } | undefined;
    try {
      if (!row) throw new Error('the view is missing');
      sql.prepare(`SELECT * FROM ${quoteIdent(view.name)} LIMIT 0`).columns();
    } catch (err) {
      throw ApiError.badRequest(
        `The change would break the view collection ${view.name} (${(err as Error).message}); change or delete it first.`,
      );
    }
    const query = row.sql.replace(/^\s*CREATE\s+VIEW\s+("[^"]*"|\S+)\s+AS\s+/i, '');
    if (query !== view.viewQuery) changed.push({ ...view, viewQuery: query });
  }
  return changed;
}

function viewField(
  column: BetterSqlite3.ColumnDefinition,
  old: Collection | undefined,
  origin: Field | undefined,
): Field {
  const previous = old?.fields.find((f) => f.name === column.name);
  const base = { system: false, hidden: false, presentable: false, name: column.name };
  if (column.name === 'id') {
    return {
      ...base,
      id: defaultFieldId('text', 'id'),
      type: 'text',
      system: true,
      required: true,
      primaryKey: true,
      min: 0,
      max: 0,
      pattern: '',
      autogeneratePattern: '',
    };
  }
  if (origin) {
    return {
      ...origin,
      name: column.name,
      system: false,
      id: previous?.id ?? defaultFieldId(origin.type, column.name),
    } as Field;
  }
  return {
    ...base,
    id: previous?.id ?? defaultFieldId('json', column.name),
    type: 'json',
    required: false,
    maxSize: 1,
  };
}
