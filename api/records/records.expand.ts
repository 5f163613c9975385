import { findField, isMultiple, type Collection } from '../collections/collection.model';
import { hasSingleColumnUniqueIndex } from '../collections/collections.schema';
import { ApiError } from '../core/errors';
import { quoteIdent, SqlParams } from '../lib/sql';
import { toList } from './record.values';
import { exportRecord, type RecordJSON } from './records.export';
import { ALIAS, columnsOf, compileRule, type QueryDeps } from './records.query';
import type { RecordRequest } from './records.request';
import { queryRows, type Row } from './records.store';

/**
 * `?expand=`: relation paths (`author`, `author.team`, up to 6 levels) and back-relations
 * (`comments_via_post`), loaded level by level with one query per relation, each through the related
 * collection's view rule for this request, as PocketBase does. Results go under `expand`: one record
 * for a single relation (and a back-relation through a uniquely indexed one), a list otherwise.
 */
export const MAX_EXPAND_DEPTH = 6;
const BACK_RELATION_LIMIT = 1000;

export interface Expandable {
  row: Row;
  json: RecordJSON;
}

interface PathNode {
  children: Map<string, PathNode>;
}

export function parseExpand(param: string): PathNode {
  const root: PathNode = { children: new Map() };
  for (const raw of param.split(',')) {
    const path = raw.trim();
    if (path === '') continue;
    const parts = path.split('.');
    if (parts.length > MAX_EXPAND_DEPTH || parts.some((p) => !/^\w+$/.test(p))) {
      throw ApiError.badRequest(`Invalid expand parameter: "${path.slice(0, 100)}".`);
    }
    let node = root;
    for (const part of parts) {
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = { children: new Map() }));
      node = child;
    }
  }
  return root;
}

/** Rows of `target` with the given ids (or referencing them) that its view rule lets this request see. */
function loadVisible(
  deps: QueryDeps,
  target: Collection,
  request: RecordRequest,
  condition: (params: SqlParams) => string,
): Row[] {
  const params = new SqlParams();
  let rule: ReturnType<typeof compileRule>;
  try {
    rule = compileRule(deps, target, 'viewRule', request, params);
  } catch (err) {
    // A locked view rule hides the relation from this request rather than failing the whole answer.
    if (err instanceof ApiError && err.status === 403) return [];
    throw err;
  }
  const joins = rule?.joins ?? [];
  const where = [condition(params), rule ? `(${rule.where})` : ''].filter(Boolean).join(' AND ');
  const sql = `SELECT ${joins.length ? 'DISTINCT ' : ''}${columnsOf(target)} FROM ${quoteIdent(target.name)} ${ALIAS} ${joins.join(' ')} WHERE ${where} LIMIT ${BACK_RELATION_LIMIT * 10}`;
  return queryRows(deps.db, sql, params.values);
}

/** Expands `items` (records of `collection`) in place. Unknown paths are ignored, as PocketBase does. */
export function expandRecords(
  deps: QueryDeps,
  collection: Collection,
  items: Expandable[],
  param: string,
  request: RecordRequest,
): void {
  if (items.length === 0 || param.trim() === '') return;
  expandLevel(deps, collection, items, parseExpand(param), request);
}

function expandLevel(
  deps: QueryDeps,
  collection: Collection,
  items: Expandable[],
  node: PathNode,
  request: RecordRequest,
): void {
  for (const [name, child] of node.children) {
    const field = findField(collection, name);
    // A hidden relation is no more expandable than it is filterable, except for superusers.
    if (field?.hidden && !request.isSuperuser) continue;
    if (field?.type === 'relation') {
      const target = deps.collections.find(field.collectionId);
      if (!target) continue;
      const multiple = isMultiple(field);
      const idsOf = (row: Row) => toList(multiple ? JSON.parse(String(row[name] ?? '[]')) : row[name]);
      const ids = [...new Set(items.flatMap((i) => idsOf(i.row)))];
      if (ids.length === 0) continue;
      const found = loadVisible(
        deps,
        target,
        request,
        (p) => `${ALIAS}.id IN (SELECT value FROM json_each(${p.add(JSON.stringify(ids))}))`,
      );
      const related = toExpandable(target, found, request);
      expandLevel(deps, target, related, child, request);
      const byId = new Map(related.map((r) => [String(r.row['id']), r.json]));
      for (const item of items) {
        const values = idsOf(item.row).flatMap((id) => byId.get(id) ?? []);
        if (values.length === 0) continue;
        expandOf(item)[name] = multiple ? values : values[0];
      }
      continue;
    }
    const back = /^(\w+)_via_(\w+)$/.exec(name);
    const source = back ? deps.collections.find(back[1]!) : undefined;
    const via = source && back ? findField(source, back[2]!) : undefined;
    if (!source || via?.type !== 'relation' || via.collectionId !== collection.id) continue;
    if (via.hidden && !request.isSuperuser) continue;
    const ids = items.map((i) => String(i.row['id']));
    const column = `${ALIAS}.${quoteIdent(via.name)}`;
    const multiple = isMultiple(via);
    const one = !multiple && hasSingleColumnUniqueIndex(source, via.name);
    const found = loadVisible(deps, source, request, (p) => {
      const list = p.add(JSON.stringify(ids));
      return multiple
        ? `EXISTS (SELECT 1 FROM json_each(${column}) je WHERE je.value IN (SELECT value FROM json_each(${list})))`
        : `${column} IN (SELECT value FROM json_each(${list}))`;
    });
    const related = toExpandable(source, found, request);
    expandLevel(deps, source, related, child, request);
    for (const item of items) {
      const id = String(item.row['id']);
      const values = related
        .filter((r) =>
          toList(multiple ? JSON.parse(String(r.row[via.name] ?? '[]')) : r.row[via.name]).includes(id),
        )
        .slice(0, BACK_RELATION_LIMIT)
        .map((r) => r.json);
      // Through a single relation with a unique index there is at most one: a record, not a list.
      if (values.length > 0) expandOf(item)[name] = one ? values[0] : values;
    }
  }
}

function toExpandable(collection: Collection, rows: Row[], request: RecordRequest): Expandable[] {
  return rows.map((row) => ({ row, json: exportRecord(collection, row, request) }));
}

function expandOf(item: Expandable): Record<string, unknown> {
  return ((item.json['expand'] as Record<string, unknown> | undefined) ??= {});
}
