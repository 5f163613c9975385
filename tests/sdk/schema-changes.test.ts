import type { CollectionModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createCollection,
  failure,
  fieldCode,
  startSdkServer,
  tableColumns,
  unique,
  type SdkServer,
} from './server';

// Live schema changes through admin.collections.update/import (pocketbase/pocketbase
// core/collection_record_table_sync.go, collection_import.go): rows survive, columns and indexes follow.

let s: SdkServer;
beforeAll(async () => {
  s = await startSdkServer();
});
afterAll(async () => {
  await s?.close();
});

function indexNames(table: string): string[] {
  const rows = s.hearth.db.sql
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL")
    .all(table) as { name: string }[];
  return rows.map((r) => r.name);
}

async function seeded(rows = 3): Promise<{ c: CollectionModel; ids: string[] }> {
  const c = await createCollection(s.admin, unique('sc'), [
    { name: 'title', type: 'text' },
    { name: 'n', type: 'number' },
  ]);
  const ids: string[] = [];
  for (let i = 0; i < rows; i++)
    ids.push((await s.admin.collection(c.name).create({ title: `t${i}`, n: i })).id);
  return { c, ids };
}

const all = (name: string) => s.admin.collection(name).getFullList({ sort: 'n' });

describe('fields', () => {
  test('adding a field keeps every row; the new field reads as its zero value', async () => {
    const { c, ids } = await seeded();
    const updated = await s.admin.collections.update(c.id, {
      fields: [...c.fields, { name: 'flag', type: 'bool' }, { name: 'note', type: 'text' }],
    });
    expect(updated.fields.map((f) => f.name)).toEqual(['id', 'title', 'n', 'flag', 'note']);
    const rows = await all(c.name);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.map((r) => [r['title'], r['flag'], r['note']])).toEqual([
      ['t0', false, ''],
      ['t1', false, ''],
      ['t2', false, ''],
    ]);
    expect(tableColumns(s.hearth, c.name)).toEqual(expect.arrayContaining(['flag', 'note']));
    await s.admin.collection(c.name).update(ids[0]!, { flag: true });
    expect((await s.admin.collection(c.name).getOne(ids[0]!))['flag']).toBe(true);
  });

  test('renaming a field (same field id) keeps its values under the new name', async () => {
    const { c } = await seeded();
    const fields = c.fields.map((f) => (f.name === 'title' ? { ...f, name: 'headline' } : f));
    await s.admin.collections.update(c.id, { fields });
    const rows = await all(c.name);
    expect(rows.map((r) => r['headline'])).toEqual(['t0', 't1', 't2']);
    expect(rows[0]).not.toHaveProperty('title');
    const cols = tableColumns(s.hearth, c.name);
    expect(cols).toContain('headline');
    expect(cols).not.toContain('title');
    // Filters use the new name.
    expect((await s.admin.collection(c.name).getList(1, 5, { filter: 'headline = "t1"' })).totalItems).toBe(
      1,
    );
  });

  test('removing a field drops its column and keeps the rows and other values', async () => {
    const { c, ids } = await seeded();
    await s.admin.collections.update(c.id, { fields: c.fields.filter((f) => f.name !== 'n') });
    const rows = await s.admin.collection(c.name).getFullList({ sort: 'title' });
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.map((r) => r['title'])).toEqual(['t0', 't1', 't2']);
    expect(rows[0]).not.toHaveProperty('n');
    expect(tableColumns(s.hearth, c.name)).not.toContain('n');
  });

  test('changing a field type is refused (validation_field_type_change), rows untouched', async () => {
    const { c } = await seeded();
    const fields = c.fields.map((f) => (f.name === 'n' ? { ...f, type: 'text' } : f));
    const err = await failure(s.admin.collections.update(c.id, { fields }));
    expect(err.status).toBe(400);
    expect(JSON.stringify(err.response['data'])).toContain('validation_field_type_change');
    expect((await all(c.name)).map((r) => r['n'])).toEqual([0, 1, 2]);
  });

  test('system fields cannot be removed', async () => {
    const { c } = await seeded(1);
    const err = await failure(
      s.admin.collections.update(c.id, { fields: c.fields.filter((f) => f.name !== 'id') }),
    );
    expect(err.status).toBe(400);
    expect(await all(c.name)).toHaveLength(1);
  });
});

describe('collection', () => {
  test('renaming a collection keeps its rows; the old name is gone', async () => {
    const { c, ids } = await seeded();
    const newName = unique('renamed');
    const updated = await s.admin.collections.update(c.id, { name: newName });
    expect(updated).toMatchObject({ id: c.id, name: newName });
    expect((await all(newName)).map((r) => r.id)).toEqual(ids);
    expect((await all(newName))[0]?.collectionName).toBe(newName);
    expect((await failure(s.admin.collection(c.name).getList())).status).toBe(404);
    expect(tableColumns(s.hearth, newName)).toContain('title');
    expect(tableColumns(s.hearth, c.name)).toEqual([]);
  });

  test('relations keep pointing at a renamed collection', async () => {
    const { c, ids } = await seeded(1);
    const refs = await createCollection(s.admin, unique('refs'), [
      { name: 'to', type: 'relation', collectionId: c.id, maxSelect: 1 },
    ]);
    const ref = await s.admin.collection(refs.name).create({ to: ids[0] });
    await s.admin.collections.update(c.id, { name: unique('moved') });
    const read = await s.admin.collection(refs.name).getOne(ref.id, { expand: 'to' });
    expect((read['expand'] as Record<string, { id: string }>)['to']?.id).toBe(ids[0]);
  });

  test('adding and dropping an index changes the table, not the rows', async () => {
    const { c } = await seeded();
    const idx = `idx_${c.name}_title`;
    const withIndex = await s.admin.collections.update(c.id, {
      indexes: [`CREATE UNIQUE INDEX \`${idx}\` ON \`${c.name}\` (\`title\`)`],
    });
    expect(withIndex.indexes).toHaveLength(1);
    expect(indexNames(c.name)).toContain(idx);
    const dup = await failure(s.admin.collection(c.name).create({ title: 't1' }));
    expect(dup.status).toBe(400);
    expect(fieldCode(dup, 'title')).toBe('validation_not_unique');

    const without = await s.admin.collections.update(c.id, { indexes: [] });
    expect(without.indexes).toEqual([]);
    expect(indexNames(c.name)).not.toContain(idx);
    expect((await s.admin.collection(c.name).create({ title: 't1' }))['title']).toBe('t1');
    expect(await all(c.name)).toHaveLength(4);
  });

  test('an invalid index expression → 400 with data.indexes', async () => {
    const { c } = await seeded(1);
    const err = await failure(s.admin.collections.update(c.id, { indexes: ['CREATE INDEX oops'] }));
    expect(err.status).toBe(400);
    expect(err.response['data']).toHaveProperty('indexes');
  });
});

describe('truncate', () => {
  test('deletes every record and keeps the collection', async () => {
    const { c } = await seeded(5);
    expect(await s.admin.collections.truncate(c.name)).toBe(true);
    expect((await s.admin.collection(c.name).getList()).totalItems).toBe(0);
    expect((await s.admin.collections.getOne(c.id)).fields.map((f) => f.name)).toEqual(['id', 'title', 'n']);
  });
});

describe('view collections', () => {
  test('a viewQuery becomes a read-only collection with fields taken from the query', async () => {
    const { c } = await seeded(4);
    const view = await s.admin.collections.create({
      name: unique('v'),
      type: 'view',
      listRule: '',
      viewRule: '',
      viewQuery: `SELECT id, title, n FROM ${c.name} WHERE n >= 2`,
    });
    expect(view.type).toBe('view');
    expect(view['viewQuery']).toContain('SELECT');
    expect(view.fields.map((f) => f.name).sort()).toEqual(['id', 'n', 'title']);

    const rows = await s.newClient().collection(view.name).getFullList({ sort: 'n' });
    expect(rows.map((r) => [r['title'], r['n'], r.collectionName])).toEqual([
      ['t2', 2, view.name],
      ['t3', 3, view.name],
    ]);
    expect((await s.newClient().collection(view.name).getOne(rows[0]!.id))['title']).toBe('t2');

    // It follows the source table.
    await s.admin.collection(c.name).create({ title: 't9', n: 9 });
    expect((await s.admin.collection(view.name).getList()).totalItems).toBe(3);

    const create = await failure(s.admin.collection(view.name).create({ title: 'x' }));
    expect(create.status).toBe(400);
    const truncate = await failure(s.admin.collections.truncate(view.name));
    expect(truncate.status).toBe(400);
  });

  test('a viewQuery that is not a single SELECT → 400', async () => {
    for (const viewQuery of [
      'DELETE FROM users',
      'SELECT id FROM no_such_table',
      'SELECT 1; DROP TABLE users',
    ]) {
      const err = await failure(s.admin.collections.create({ name: unique('bad'), type: 'view', viewQuery }));
      expect(err.status, viewQuery).toBe(400);
    }
    expect((await s.admin.collections.getOne('users')).name).toBe('users');
  });
});

describe('import', () => {
  test('adds new collections; with deleteMissing removes the ones left out (system ones stay)', async () => {
    const { c: keep } = await seeded(2);
    const { c: drop } = await seeded(1);
    const current = await s.admin.collections.getFullList();
    const newName = unique('imported');
    const withNew = [...current, { name: newName, type: 'base', fields: [{ name: 'x', type: 'text' }] }];
    expect(await s.admin.collections.import(withNew as CollectionModel[], false)).toBe(true);
    const created = await s.admin.collections.getOne(newName);
    expect(created.fields.map((f) => f.name)).toEqual(['id', 'x']);
    expect((await s.admin.collection(newName).create({ x: 'row' }))['x']).toBe('row');

    const everything = await s.admin.collections.getFullList();
    const withoutDrop = everything.filter((x) => x.id !== drop.id);
    expect(await s.admin.collections.import(withoutDrop, true)).toBe(true);
    expect((await failure(s.admin.collections.getOne(drop.id))).status).toBe(404);
    expect(tableColumns(s.hearth, drop.name)).toEqual([]);
    expect(await all(keep.name)).toHaveLength(2);
    expect((await s.admin.collections.getOne('_superusers')).system).toBe(true);
    expect((await s.admin.collections.getOne('users')).type).toBe('auth');
  });

  test('an invalid import changes nothing', async () => {
    const before = (await s.admin.collections.getFullList()).map((x) => x.name).sort();
    const bad = [
      { name: unique('ok'), type: 'base' },
      { name: 'bad name!', type: 'base' },
    ];
    const err = await failure(s.admin.collections.import(bad as unknown as CollectionModel[], false));
    expect(err.status).toBe(400);
    expect((await s.admin.collections.getFullList()).map((x) => x.name).sort()).toEqual(before);
  });
});

describe('scaffolds', () => {
  test('getScaffolds returns blank base, auth and view collections', async () => {
    const scaffolds = (await s.admin.collections.getScaffolds()) as Record<string, CollectionModel>;
    expect(Object.keys(scaffolds).sort()).toEqual(['auth', 'base', 'view']);
    expect(scaffolds['base']).toMatchObject({ type: 'base', id: '', name: '' });
    expect(scaffolds['base']!.fields.map((f) => f.name)).toEqual(['id']);
    expect(scaffolds['auth']!.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified']),
    );
    expect(scaffolds['view']).toMatchObject({ type: 'view', fields: [] });
  });
});

describe('indexes are rebuilt only when they or the columns under them change', () => {
  /**
   * Each index's row in sqlite_master: a rebuilt index is deleted and inserted again, after the rows
   * of anything created since, so its rowid changes.
   */
  function schemaRows(table: string): Record<string, number> {
    const rows = s.hearth.db.sql
      .prepare(
        "SELECT name, rowid AS r FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
      )
      .all(table) as { name: string; r: number }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.r]));
  }

  test('a rule change, an added field or another index leaves an index as it is', async () => {
    const { c } = await seeded();
    const idx = `idx_${c.name}_title`;
    await s.admin.collections.update(c.id, { indexes: [`CREATE INDEX ${idx} ON ${c.name} (title)`] });
    const before = schemaRows(c.name)[idx];
    expect(before).toBeGreaterThan(0);
    await createCollection(s.admin, unique('later'), [{ name: 'x', type: 'text' }]);

    await s.admin.collections.update(c.id, { listRule: 'n > 1' });
    expect(schemaRows(c.name)[idx]).toBe(before);
    await s.admin.collections.update(c.id, {
      fields: [...c.fields, { name: 'extra', type: 'text' }],
      indexes: [`CREATE INDEX ${idx} ON ${c.name} (title)`, `CREATE INDEX idx_${c.name}_n ON ${c.name} (n)`],
    });
    expect(schemaRows(c.name)[idx]).toBe(before);
    expect(Object.keys(schemaRows(c.name)).sort()).toEqual([idx, `idx_${c.name}_n`].sort());
  });

  test('a renamed column or a changed index is rebuilt and keeps working', async () => {
    const { c } = await seeded();
    const idx = `idx_${c.name}_title`;
    await s.admin.collections.update(c.id, { indexes: [`CREATE UNIQUE INDEX ${idx} ON ${c.name} (title)`] });
    const saved = await s.admin.collections.getOne(c.id);
    const fields = saved.fields.map((f) => (f.name === 'title' ? { ...f, name: 'heading' } : f));
    // As PocketBase's dashboard does, the index names the column by its new name in the same save.
    const renamed = await s.admin.collections.update(c.id, {
      fields,
      indexes: [`CREATE UNIQUE INDEX ${idx} ON ${c.name} (heading)`],
    });
    expect(renamed.indexes).toEqual([`CREATE UNIQUE INDEX "${idx}" ON "${c.name}" (heading)`]);
    expect(indexNames(c.name)).toContain(idx);
    expect(
      await failure(s.admin.collection(c.name).create({ heading: 't0' })),
      'the unique index still holds after the rename',
    ).toMatchObject({ status: 400 });

    await s.admin.collections.update(c.id, { indexes: [`CREATE INDEX ${idx} ON ${c.name} (heading, n)`] });
    const sqlText = s.hearth.db.sql
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
      .pluck()
      .get(idx) as string;
    expect(sqlText).toMatch(/\(heading, n\)/);
  });
});
