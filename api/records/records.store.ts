import type BetterSqlite3 from 'better-sqlite3';
import type { Collection } from '../collections/collection.model';
import type { Database } from '../core/db';
import { quoteIdent, type SqlValue } from '../lib/sql';

/**
 * The SQL of record tables. Statements are prepared once per SQL text and kept: the list and CRUD
 * paths repeat the same few shapes, and preparing costs more than running them.
 */
export type Row = Record<string, unknown>;

const cache = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();
const CACHE_MAX = 2000;

/** A prepared statement for `sql`, made once; `pluck` statements are cached apart. */
export function statement(db: Database, sql: string, pluck = false): BetterSqlite3.Statement {
  let map = cache.get(db.sql);
  if (!map) cache.set(db.sql, (map = new Map()));
  const key = pluck ? `pluck:${sql}` : sql;
  let stmt = map.get(key);
  if (!stmt) {
    if (map.size >= CACHE_MAX) map.clear();
    stmt = db.sql.prepare(sql);
    if (pluck) stmt.pluck();
    map.set(key, stmt);
  }
  return stmt;
}

export function findRow(db: Database, collection: Collection, id: string): Row | undefined {
  return statement(db, `SELECT * FROM ${quoteIdent(collection.name)} WHERE id = ?`).get(id) as
    Row | undefined;
}

export function insertRow(db: Database, collection: Collection, row: Row): void {
  const names = Object.keys(row);
  const sql = `INSERT INTO ${quoteIdent(collection.name)} (${names.map(quoteIdent).join(', ')}) VALUES (${names
    .map(() => '?')
    .join(', ')})`;
  statement(db, sql).run(...names.map((n) => row[n]));
}

/** Writes the changed columns of a record; `id` may change too (PocketBase forbids it, checked earlier). */
export function updateRow(db: Database, collection: Collection, id: string, changes: Row): void {
  const names = Object.keys(changes);
  if (names.length === 0) return;
  const sql = `UPDATE ${quoteIdent(collection.name)} SET ${names
    .map((n) => `${quoteIdent(n)} = ?`)
    .join(', ')} WHERE id = ?`;
  statement(db, sql).run(...names.map((n) => changes[n]), id);
}

export function deleteRow(db: Database, collection: Collection, id: string): void {
  statement(db, `DELETE FROM ${quoteIdent(collection.name)} WHERE id = ?`).run(id);
}

const rawStatements = new WeakMap<
  BetterSqlite3.Database,
  Map<string, { stmt: BetterSqlite3.Statement; columns: string[] }>
>();

/**
 * Runs a query the records capability built (rule/filter SQL with bound params, naming its columns:
 * see columnsOf). Rows come from SQLite as arrays and become objects here: better-sqlite3 building
 * each row object through N-API cost a third more than this for a page of 20 (docs/BENCHMARKS.md).
 */
export function queryRows(db: Database, sql: string, params: Record<string, SqlValue>): Row[] {
  let map = rawStatements.get(db.sql);
  if (!map) rawStatements.set(db.sql, (map = new Map()));
  let entry = map.get(sql);
  if (!entry) {
    if (map.size >= CACHE_MAX) map.clear();
    const stmt = db.sql.prepare(sql).raw();
    entry = { stmt, columns: stmt.columns().map((c) => c.name) };
    map.set(sql, entry);
  }
  const { stmt, columns } = entry;
  const raw = stmt.all(params) as unknown[][];
  const rows: Row[] = new Array<Row>(raw.length);
  for (let r = 0; r < raw.length; r++) {
    const values = raw[r]!;
    const row: Row = {};
    for (let c = 0; c < columns.length; c++) row[columns[c]!] = values[c];
    rows[r] = row;
  }
  return rows;
}

export function queryValue(db: Database, sql: string, params: Record<string, SqlValue>): unknown {
  return statement(db, sql, true).get(params);
}

/** Ids of rows whose relation column holds `id` (single or multiple). */
export function findReferencing(
  db: Database,
  collection: Collection,
  column: string,
  multiple: boolean,
  id: string,
): Row[] {
  const table = quoteIdent(collection.name);
  const col = quoteIdent(column);
  const sql = multiple
    ? `SELECT * FROM ${table} WHERE EXISTS (SELECT 1 FROM json_each(${table}.${col}) WHERE value = ?)`
    : `SELECT * FROM ${table} WHERE ${col} = ?`;
  return statement(db, sql).all(id) as Row[];
}

export function allIds(db: Database, collection: Collection): string[] {
  return statement(db, `SELECT id FROM ${quoteIdent(collection.name)}`, true).all() as string[];
}

/** How many of `ids` exist in the collection's table. */
export function countExisting(db: Database, collection: Collection, ids: string[]): number {
  const sql = `SELECT count(*) FROM ${quoteIdent(collection.name)} WHERE id IN (SELECT value FROM json_each(?))`;
  return statement(db, sql, true).get(JSON.stringify(ids)) as number;
}

export function countRows(db: Database, collection: Collection): number {
  return statement(db, `SELECT count(*) FROM ${quoteIdent(collection.name)}`, true).get() as number;
}
