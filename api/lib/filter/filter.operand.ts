import { quoteIdent, type SqlParams, type SqlValue } from '../sql';

/**
 * What one side of a comparison compiles to, as PocketBase's search.ResolverResult: SQL in the outer
 * row's context, the bound parameters it uses (their values decide the NULL/'' handling of `=`), the
 * optional "every value" subquery, and how NULL is treated.
 */

/**
 * PocketBase's NullFallbackPreference: `auto` compares with COALESCE/`IS NULL` fallbacks and treats an
 * empty bound value as empty; `disabled` compares with `IS`/`IS NOT` only (JSON values, computed
 * numbers); `enforced` always assumes the value may be NULL (computed text such as strftime).
 */
export type NullFallback = 'auto' | 'disabled' | 'enforced';

export interface Value {
  sql: string;
  /** Names (without ":") of the parameters bound inside `sql`. */
  placeholders: string[];
  /** `SELECT <value> AS v FROM …` over every value, correlated with the outer row. */
  multiMatch?: string;
  nullFallback: NullFallback;
  /** A condition ANDed with any comparison using this value (PocketBase's AfterBuild). */
  guard?: string;
}

const aliasCounters = new WeakMap<SqlParams, number>();

/**
 * A table alias no other alias in the same query has. Counting per SqlParams (one per query) keeps
 * the SQL deterministic for a given filter and lets several filters share a query (a rule and a
 * `?filter=`) without their subquery or join aliases colliding.
 */
export function uniqueAlias(params: SqlParams, prefix: string): string {
  const n = aliasCounters.get(params) ?? 0;
  aliasCounters.set(params, n + 1);
  return `${prefix}${n}`;
}

/** `"alias"."v"`: the value column of a multi-match subquery. */
export function multiMatchColumn(alias: string): string {
  return `${quoteIdent(alias)}.${quoteIdent('v')}`;
}

/** A literal bound as a parameter: user values never become SQL text. */
export function boundValue(params: SqlParams, value: SqlValue | boolean): Value {
  const sql = params.add(value);
  return { sql, placeholders: [sql.slice(1)], nullFallback: 'auto' };
}

/**
 * The parameter names bound in `sql` by `params` (SqlParams names them `p<n>`). Quoted identifiers
 * and text literals are skipped, so an alias such as `"x:p1"` is not mistaken for a parameter.
 */
export function placeholdersIn(sql: string, params: SqlParams): string[] {
  const names = new Set<string>();
  const outsideQuotes = sql.replace(/"(?:[^"]|"")*"|'(?:[^']|'')*'/g, ' ');
  for (const m of outsideQuotes.matchAll(/:(p\d+)(?!\w)/g)) {
    if (Object.hasOwn(params.values, m[1]!)) names.add(m[1]!);
  }
  return [...names];
}

/** PocketBase's isEmptyIdentifier: SQL that is NULL or an empty text literal. */
export function isEmptySql(sql: string): boolean {
  return ['', 'null', "''", '""', '``'].includes(sql.trim().toLowerCase());
}

/** Whether the value holds exactly one bound parameter and it is NULL or ''. */
export function hasOneEmptyParam(value: Value, params: SqlParams): boolean {
  if (value.placeholders.length !== 1) return false;
  const v = params.values[value.placeholders[0]!];
  return v === null || v === '';
}

function hasAnyEmptyParam(value: Value, params: SqlParams): boolean {
  return value.placeholders.some((name) => params.values[name] === null || params.values[name] === '');
}

/** PocketBase's isKnownNonEmptyIdentifier: a boolean constant, or bound values none of which is empty. */
export function isKnownNonEmpty(value: Value, params: SqlParams): boolean {
  if (value.nullFallback === 'enforced') return false;
  if (['1', '0', 'true', 'false'].includes(value.sql.trim().toLowerCase())) return true;
  return value.placeholders.length > 0 && !hasAnyEmptyParam(value, params) && !isEmptySql(value.sql);
}

/** PocketBase's "is empty" test for one side of `=`/`!=`. */
export function isEmptyValue(value: Value, params: SqlParams): boolean {
  return isEmptySql(value.sql) || (value.nullFallback === 'auto' && hasOneEmptyParam(value, params));
}
