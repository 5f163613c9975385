import type BetterSqlite3 from 'better-sqlite3';
import type { AuthOptions, Collection } from './collection.model';

/** The SQL of `_collections`, PocketBase's table of collection definitions. */

interface CollectionRow {
  id: string;
  system: number;
  type: string;
  name: string;
  fields: string;
  indexes: string;
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  options: string;
  created: string;
  updated: string;
}

export const COLLECTIONS_TABLE_SQL = `CREATE TABLE _collections (
  id TEXT PRIMARY KEY NOT NULL,
  system BOOLEAN NOT NULL DEFAULT FALSE,
  type TEXT NOT NULL DEFAULT 'base',
  name TEXT NOT NULL,
  fields JSON NOT NULL DEFAULT '[]',
  indexes JSON NOT NULL DEFAULT '[]',
  listRule TEXT DEFAULT NULL,
  viewRule TEXT DEFAULT NULL,
  createRule TEXT DEFAULT NULL,
  updateRule TEXT DEFAULT NULL,
  deleteRule TEXT DEFAULT NULL,
  options JSON NOT NULL DEFAULT '{}',
  created TEXT NOT NULL,
  updated TEXT NOT NULL
);
CREATE UNIQUE INDEX idx__collections_name ON _collections (name COLLATE NOCASE);`;

function fromRow(row: CollectionRow): Collection {
  const options = JSON.parse(row.options) as { viewQuery?: string } & Partial<AuthOptions>;
  const c: Collection = {
    id: row.id,
    name: row.name,
    type: row.type as Collection['type'],
    system: row.system === 1,
    fields: JSON.parse(row.fields) as Collection['fields'],
    indexes: JSON.parse(row.indexes) as string[],
    listRule: row.listRule,
    viewRule: row.viewRule,
    createRule: row.createRule,
    updateRule: row.updateRule,
    deleteRule: row.deleteRule,
    created: row.created,
    updated: row.updated,
  };
  if (c.type === 'view') c.viewQuery = options.viewQuery ?? '';
  if (c.type === 'auth') c.auth = options as AuthOptions;
  return c;
}

export function readCollections(sql: BetterSqlite3.Database): Collection[] {
  return (sql.prepare('SELECT * FROM _collections ORDER BY created, rowid').all() as CollectionRow[]).map(
    fromRow,
  );
}

export function writeCollection(sql: BetterSqlite3.Database, c: Collection): void {
  const options = c.type === 'view' ? { viewQuery: c.viewQuery } : c.type === 'auth' ? c.auth : {};
  sql
    .prepare(
      `INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule,
         updateRule, deleteRule, options, created, updated)
       VALUES (@id, @system, @type, @name, @fields, @indexes, @listRule, @viewRule, @createRule,
         @updateRule, @deleteRule, @options, @created, @updated)
       ON CONFLICT (id) DO UPDATE SET system = excluded.system, name = excluded.name, fields = excluded.fields,
         indexes = excluded.indexes, listRule = excluded.listRule, viewRule = excluded.viewRule,
         createRule = excluded.createRule, updateRule = excluded.updateRule, deleteRule = excluded.deleteRule,
         options = excluded.options, updated = excluded.updated`,
    )
    .run({
      id: c.id,
      system: c.system ? 1 : 0,
      type: c.type,
      name: c.name,
      fields: JSON.stringify(c.fields),
      indexes: JSON.stringify(c.indexes),
      listRule: c.listRule,
      viewRule: c.viewRule,
      createRule: c.createRule,
      updateRule: c.updateRule,
      deleteRule: c.deleteRule,
      options: JSON.stringify(options ?? {}),
      created: c.created,
      updated: c.updated,
    });
}

export function deleteCollectionRow(sql: BetterSqlite3.Database, id: string): void {
  sql.prepare('DELETE FROM _collections WHERE id = ?').run(id);
}
