import Database from 'better-sqlite3';
import { FilterError } from './filter.error';
import type { FieldResolver } from './filter.compile';

/**
 * A one-table world for the filter tests: `t(id, title, n, flag, tags, data)` with `tags` a JSON
 * array (multi-valued through `tags:each`) and `data` a JSON value, and a resolver that knows it.
 */

export const FROM = 'FROM "t" AS "t" LEFT JOIN json_each("t"."tags") AS "tj"';

export const testResolver: FieldResolver = {
  resolve(name) {
    switch (name) {
      case 'id':
      case 'title':
      case 'n':
      case 'flag':
      case 'tags':
        return { sql: `"t"."${name}"` };
      case 'tags:each':
        return {
          sql: '"tj"."value"',
          multiMatch: 'SELECT "je"."value" AS "v" FROM json_each("t"."tags") AS "je"',
        };
      case 'data':
        return { sql: `json_extract("t"."data", '$')`, noCoalesce: true };
      case 'secret':
        throw new FilterError('Invalid filter: the field "secret" is hidden.');
      default:
        throw new FilterError(`Invalid filter: unknown field ${JSON.stringify(name)}.`);
    }
  },
};

export const ROWS: Record<string, unknown>[] = [
  { id: 'a', title: 'Apple pie', n: 10, flag: 1, tags: '["x","y"]', data: '{"k":1}' },
  { id: 'b', title: 'banana', n: -2.5, flag: 0, tags: '["x"]', data: '1' },
  { id: 'c', title: '', n: 0, flag: 0, tags: '[]', data: null },
  { id: 'd', title: "100% O'Neil \\ _", n: 3, flag: 1, tags: '["y","z"]', data: '"text"' },
];

/** A fresh in-memory database holding ROWS. */
export function openTestDb(): Database.Database {
  const db = new Database(':memory:');
  db.exec(
    `CREATE TABLE "t" ("id" TEXT PRIMARY KEY, "title" TEXT NOT NULL DEFAULT '', "n" NUMERIC NOT NULL DEFAULT 0,
      "flag" BOOLEAN NOT NULL DEFAULT FALSE, "tags" JSON NOT NULL DEFAULT '[]', "data" JSON DEFAULT NULL)`,
  );
  const insert = db.prepare('INSERT INTO "t" VALUES (:id, :title, :n, :flag, :tags, :data)');
  for (const row of ROWS) insert.run(row);
  return db;
}
