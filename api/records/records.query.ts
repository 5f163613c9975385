import type { Collection, RuleName } from '../collections/collection.model';
import type { CollectionsRegistry } from '../collections/collections.registry';
import type { Database } from '../core/db';
import { ApiError } from '../core/errors';
import { FilterError } from '../lib/filter';
import { quoteIdent, SqlParams, type SqlValue } from '../lib/sql';
import type { Paging } from './records.paging';
import type { RecordRequest } from './records.request';
import { compileRecordFilter, compileRecordSort } from './record.resolver';
import { queryRows, queryValue, type Row } from './records.store';

/**
 * Reading records through access rules, as PocketBase applies them: a rule is a filter compiled into
 * the query (never a code branch), `null` locks the action to superusers (403), `""` opens it, and
 * superusers bypass rules altogether.
 */
export interface QueryDeps {
  db: Database;
  collections: CollectionsRegistry;
}

export const ALIAS = 't';

/**
 * Client filters and sorts may not reach other collections or the request. Like PocketBase this is a
 * plain substring test on the raw text, quoted or not: simple, and errs on the safe side.
 */
function namesSpecial(text: string): boolean {
  return text.includes('@collection.') || text.includes('@request.');
}

interface Compiled {
  where: string;
  joins: string[];
}

/** Runs `fn`, turning a filter problem into PocketBase's 400 with a message that names it. */
export function withFilterErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FilterError) throw ApiError.badRequest(err.message);
    throw err;
  }
}

/** A collection's rules, auth collections' `manageRule` and `authRule` included. */
export type AnyRule = RuleName | 'manageRule' | 'authRule';

function ruleText(collection: Collection, rule: AnyRule): string | null {
  if (rule === 'manageRule' || rule === 'authRule') return collection.auth?.[rule] ?? null;
  return collection[rule];
}

/** The rule's WHERE part for this request, or null when nothing restricts it. */
export function compileRule(
  deps: QueryDeps,
  collection: Collection,
  rule: AnyRule,
  request: RecordRequest,
  params: SqlParams,
): Compiled | null {
  if (request.isSuperuser) return null;
  const text = ruleText(collection, rule);
  if (text === null) throw ApiError.forbidden('Only superusers can perform this action.');
  if (text.trim() === '') return null;
  return withFilterErrors(() =>
    compileRecordFilter(text, {
      schema: deps.collections,
      collection,
      alias: ALIAS,
      request: request.info,
      params,
      allowHiddenFields: true,
    }),
  );
}

/**
 * The select list: every field's column by name, never `t.*`. Rows are mapped by the statement's
 * columns (queryRows), and a query naming its columns cannot silently change shape when a schema
 * change re-prepares it.
 */
export function columnsOf(collection: Collection): string {
  return collection.fields.map((f) => `${ALIAS}.${quoteIdent(f.name)}`).join(', ');
}

function from(collection: Collection, joins: string[]): string {
  return `FROM ${quoteIdent(collection.name)} ${ALIAS}${joins.length > 0 ? ` ${joins.join(' ')}` : ''}`;
}

/**
 * The row with this id if the rule lets this request see it; undefined otherwise (the caller answers
 * 404 either way, so a rule never reveals whether a record exists).
 */
export function findAllowed(
  deps: QueryDeps,
  collection: Collection,
  rule: AnyRule,
  id: string,
  request: RecordRequest,
): Row | undefined {
  const params = new SqlParams();
  const compiled = compileRule(deps, collection, rule, request, params);
  const idParam = params.add(id);
  const where = compiled ? ` AND (${compiled.where})` : '';
  const sql = `SELECT ${columnsOf(collection)} ${from(collection, compiled?.joins ?? [])} WHERE ${ALIAS}.id = ${idParam}${where} LIMIT 1`;
  return queryRows(deps.db, sql, params.values)[0];
}

export interface ListQuery {
  filter: string;
  sort: string;
  paging: Paging;
}

/** A page of records the list rule and the client's filter both allow, and the total unless skipped. */
export function listAllowed(
  deps: QueryDeps,
  collection: Collection,
  query: ListQuery,
  request: RecordRequest,
): { rows: Row[]; total: number } {
  if (!request.isSuperuser && (namesSpecial(query.filter) || namesSpecial(query.sort))) {
    throw ApiError.forbidden('Only superusers can filter by @collection and @request.');
  }
  const params = new SqlParams();
  const rule = compileRule(deps, collection, 'listRule', request, params);
  const ctx = {
    schema: deps.collections,
    collection,
    alias: ALIAS,
    request: request.info,
    params,
    allowHiddenFields: request.isSuperuser,
  };
  const filter = query.filter.trim() ? withFilterErrors(() => compileRecordFilter(query.filter, ctx)) : null;
  const sort = query.sort.trim() ? withFilterErrors(() => compileRecordSort(query.sort, ctx)) : null;
  const joins = [...new Set([...(rule?.joins ?? []), ...(filter?.joins ?? []), ...(sort?.joins ?? [])])];
  const conditions = [rule?.where, filter?.where].filter(Boolean).map((w) => `(${w})`);
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const distinct = joins.length > 0 ? 'DISTINCT ' : '';
  // Without a sort, rows come in insertion order (views have no rowid: by id), so pages are stable.
  const order = sort?.orderBy ?? (collection.type === 'view' ? `${ALIAS}.id` : `${ALIAS}.rowid`);
  const { page, perPage } = query.paging;
  const limit = params.add(perPage);
  const offset = params.add((page - 1) * perPage);
  const rows = queryRows(
    deps.db,
    `SELECT ${distinct}${columnsOf(collection)} ${from(collection, joins)}${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
    params.values,
  );
  let total = -1;
  if (!query.paging.skipTotal) {
    const counted = distinct ? `count(DISTINCT ${ALIAS}.id)` : 'count(*)';
    total = queryValue(
      deps.db,
      `SELECT ${counted} ${from(collection, joins)}${where}`,
      params.values,
    ) as number;
  }
  return { rows, total };
}

/**
 * Whether a record snapshot (an event's row, even one already deleted) passes a rule and an optional
 * filter for this request: both run against the row's values as a one-row subquery, so a deleted
 * record is judged as it was, and relations are followed in the live tables. A locked rule or a
 * broken filter means no.
 */
export function rowMatches(
  deps: QueryDeps,
  collection: Collection,
  rule: AnyRule,
  row: Row,
  request: RecordRequest,
  filter = '',
): boolean {
  const params = new SqlParams();
  let compiled: Compiled | null;
  let filtered: Compiled | null = null;
  try {
    compiled = compileRule(deps, collection, rule, request, params);
    if (filter.trim()) {
      filtered = compileRecordFilter(filter, {
        schema: deps.collections,
        collection,
        alias: ALIAS,
        request: request.info,
        params,
        allowHiddenFields: request.isSuperuser,
      });
    }
  } catch (err) {
    if (err instanceof FilterError || (err instanceof ApiError && err.status === 403)) return false;
    throw err;
  }
  if (!compiled && !filtered) return true; // an empty rule (or superuser) and no filter: no query
  const values = collection.fields
    .map((f) => `${params.add((row[f.name] ?? null) as SqlValue)} AS ${quoteIdent(f.name)}`)
    .join(', ');
  const joins = [...new Set([...(compiled?.joins ?? []), ...(filtered?.joins ?? [])])].join(' ');
  const conditions = [compiled?.where, filtered?.where].filter(Boolean).map((w) => `(${w})`);
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return Boolean(
    queryValue(
      deps.db,
      `SELECT 1 FROM (SELECT ${values}) AS ${ALIAS} ${joins}${where} LIMIT 1`,
      params.values,
    ),
  );
}
