import { SqliteError } from 'better-sqlite3';
import type { Database } from '../core/db';
import { ApiError, type ErrorData } from '../core/errors';
import type { EventBus } from '../core/events';
import { FilterError } from '../lib/filter';
import { SqlParams } from '../lib/sql';
import { compileRecordFilter } from '../records/record.resolver';
import { buildCollection, RULES, systemIndexes } from './collection.build';
import type { Collection, Schema } from './collection.model';
import { ruleError } from './collection.rules';
import { overlaySchema, type CollectionsRegistry } from './collections.registry';
import {
  checkViews,
  createCollectionTable,
  deriveViewFields,
  dropCollectionTable,
  parseIndex,
  syncCollectionTable,
} from './collections.schema';
import { deleteCollectionRow, writeCollection } from './collections.store';

declare module '../core/events' {
  interface HearthEvents {
    CollectionSave: { id: string; name: string; created: boolean };
    CollectionDelete: { id: string; name: string };
  }
}

export interface CollectionDeps {
  db: Database;
  bus: EventBus;
  collections: CollectionsRegistry;
}

/** The collection as the API and the SDK's CollectionModel show it: auth options flattened on top. */
export function toCollectionJSON(c: Collection): Record<string, unknown> {
  const { auth, viewQuery, ...base } = c;
  const out: Record<string, unknown> = { ...base };
  if (c.type === 'view') out['viewQuery'] = viewQuery ?? '';
  if (c.type === 'auth' && auth) Object.assign(out, auth);
  return out;
}

/** Rules must compile against the schema as it will be; relation targets must exist. */
function checkReferences(collection: Collection, schema: Schema, existing: Collection | undefined): void {
  const errors: ErrorData = {};
  const rules: [string, string | null][] = RULES.map((r) => [r, collection[r]]);
  if (collection.auth)
    rules.push(['authRule', collection.auth.authRule], ['manageRule', collection.auth.manageRule]);
  for (const [name, rule] of rules) {
    if (rule === null || rule.trim() === '') continue;
    try {
      compileRecordFilter(rule, {
        schema,
        collection,
        alias: 't',
        params: new SqlParams(),
        allowHiddenFields: true,
        request: { auth: null, method: 'GET', context: 'default', query: {}, headers: {}, body: {} },
      });
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      errors[name] = ruleError(rule, err);
    }
  }
  const fieldErrors: ErrorData = {};
  collection.fields.forEach((f, i) => {
    if (f.type !== 'relation') return;
    const target = schema.find(f.collectionId);
    if (!target) {
      fieldErrors[String(i)] = {
        collectionId: {
          code: 'validation_missing_collection',
          message: 'The related collection does not exist.',
        },
      };
    } else {
      f.collectionId = target.id;
    }
  });
  if (Object.keys(fieldErrors).length > 0) errors['fields'] = fieldErrors;
  if (Object.keys(errors).length > 0) {
    throw ApiError.badRequest(
      existing ? 'Failed to update collection.' : 'Failed to create collection.',
      errors,
    );
  }
}

/** Adds the indexes a collection type always has, unless one with the same name is already there. */
function withSystemIndexes(c: Collection): void {
  const names = new Set(c.indexes.map((i) => parseIndex(i)?.name.toLowerCase()));
  for (const index of systemIndexes(c)) {
    if (!names.has(parseIndex(index)?.name.toLowerCase())) c.indexes.push(index);
  }
}

/**
 * Everything a save does inside its transaction: build and check the collection, change its table,
 * write its definition and keep every other view working. Publishes nothing, so saveCollection and
 * validateCollection share it and a dry run refuses exactly what a save refuses.
 */
function applyCollection(deps: CollectionDeps, input: unknown, existing: Collection | undefined): Collection {
  const collection = buildCollection(input, existing, deps.collections);
  withSystemIndexes(collection);
  const schema = overlaySchema(deps.collections, [collection]);
  if (collection.type === 'view') deriveViewFields(deps.db.sql, collection, existing, schema);
  checkReferences(collection, schema, existing);
  ddl(existing ? 'Failed to update collection.' : 'Failed to create collection.', () => {
    if (existing) syncCollectionTable(deps.db.sql, existing, collection);
    else createCollectionTable(deps.db.sql, collection);
  });
  writeCollection(deps.db.sql, collection);
  deps.collections.invalidate();
  keepViewsWorking(deps, collection.id);
  return collection;
}

/**
 * Creates or updates a collection and its table in one transaction: a failing index or view query
 * leaves both the definition and the table as they were.
 */
export function saveCollection(deps: CollectionDeps, input: unknown, existing?: Collection): Collection {
  try {
    return deps.db.transaction(() => {
      const collection = applyCollection(deps, input, existing);
      deps.bus.publish('CollectionSave', { id: collection.id, name: collection.name, created: !existing });
      return collection;
    });
  } finally {
    deps.collections.invalidate();
  }
}

/** Thrown to roll a dry run back; never leaves validateCollection. */
class DryRunRollback extends Error {}

/**
 * The dry run of saveCollection (POST /api/hearth/collections/validate): returns when the save would
 * succeed, else throws the same 400. Some checks can only be asked of SQLite (view queries, indexes,
 * views that a change would break), so the whole save runs in a transaction (a savepoint when
 * nested) that is always rolled back: no table, row or `_collections` entry stays, the afterCommit
 * queue of that level is dropped with it, and nothing is published. The registry reloads the
 * collections as they were.
 */
export function validateCollection(deps: CollectionDeps, input: unknown, existing?: Collection): void {
  try {
    deps.db.transaction(() => {
      applyCollection(deps, input, existing);
      throw new DryRunRollback(); // the one way db.transaction rolls back
    });
  } catch (err) {
    if (!(err instanceof DryRunRollback)) throw err;
  } finally {
    deps.collections.invalidate();
  }
}

/** Deletes a collection and its table; refused for system collections and while others relate to it. */
export function deleteCollection(deps: CollectionDeps, collection: Collection): void {
  if (collection.system) throw ApiError.badRequest(`System collection ${collection.name} cannot be deleted.`);
  const referrers = deps.collections
    .all()
    .filter(
      (c) =>
        c.id !== collection.id &&
        c.fields.some((f) => f.type === 'relation' && f.collectionId === collection.id),
    );
  if (referrers.length > 0) {
    throw ApiError.badRequest(
      `Failed to delete the collection: it is referenced by ${referrers.map((c) => c.name).join(', ')}.`,
    );
  }
  try {
    deps.db.transaction(() => {
      dropCollectionTable(deps.db.sql, collection);
      deleteCollectionRow(deps.db.sql, collection.id);
      deps.collections.invalidate();
      keepViewsWorking(deps, collection.id);
      deps.bus.publish('CollectionDelete', { id: collection.id, name: collection.name });
    });
  } finally {
    deps.collections.invalidate();
  }
}

/**
 * PUT /api/collections/import: creates or replaces every given collection (matched by id, else by
 * name) and, with `deleteMissing`, deletes the others that are not system collections. All or nothing.
 */
export function importCollections(deps: CollectionDeps, list: unknown, deleteMissing: boolean): void {
  if (!Array.isArray(list) || list.length === 0) {
    throw ApiError.badRequest('Failed to import the collections.', {
      collections: { code: 'validation_required', message: 'Cannot be blank.' },
    });
  }
  try {
    deps.db.transaction(() => {
      const keep = new Set<string>();
      // Two passes: first every collection exists (so relations between them resolve), then full save.
      const pending: [unknown, Collection | undefined][] = [];
      for (const item of list) {
        const raw = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
        const existing =
          (typeof raw['id'] === 'string' ? deps.collections.find(raw['id']) : undefined) ??
          (typeof raw['name'] === 'string' ? deps.collections.find(raw['name']) : undefined);
        pending.push([item, existing]);
      }
      pending.forEach(([item, existing], i) => {
        try {
          if (!existing) {
            const raw = item as Record<string, unknown>;
            const bare = {
              ...raw,
              fields: (raw['fields'] as unknown[] | undefined)?.filter(
                (f) => (f as { type?: string }).type !== 'relation',
              ),
              listRule: null,
              viewRule: null,
              createRule: null,
              updateRule: null,
              deleteRule: null,
              indexes: [],
            };
            if (raw['type'] !== 'view') pending[i] = [item, saveCollection(deps, bare)];
          }
        } catch (err) {
          throw prefixErrors(err, i);
        }
      });
      pending.forEach(([item, existing], i) => {
        try {
          const saved = saveCollection(deps, withSystemFieldsOf(item, existing), existing);
          keep.add(saved.id);
        } catch (err) {
          throw prefixErrors(err, i);
        }
      });
      if (deleteMissing) {
        // Views first: they may read the tables that go too.
        const doomed = deps.collections.all().filter((c) => !keep.has(c.id) && !c.system);
        for (const c of [...doomed].sort((a, b) => Number(b.type === 'view') - Number(a.type === 'view'))) {
          dropCollectionTable(deps.db.sql, c);
          deleteCollectionRow(deps.db.sql, c.id);
          deps.collections.invalidate();
          deps.bus.publish('CollectionDelete', { id: c.id, name: c.name });
        }
        for (const c of deps.collections.all()) {
          const dangling = c.fields.find(
            (f) => f.type === 'relation' && !deps.collections.find(f.collectionId),
          );
          if (dangling) {
            throw ApiError.badRequest(
              `Failed to import the collections: ${c.name}.${dangling.name} relates to a collection the import deletes.`,
            );
          }
        }
        keepViewsWorking(deps, '');
      }
    });
  } finally {
    deps.collections.invalidate();
  }
}

/** An import item that leaves out system fields keeps the ones its collection already has. */
function withSystemFieldsOf(item: unknown, existing: Collection | undefined): unknown {
  const raw = item as Record<string, unknown>;
  if (!existing || !Array.isArray(raw['fields'])) return item;
  const given = raw['fields'] as { id?: unknown; name?: unknown }[];
  const missing = existing.fields.filter(
    (f) => f.system && !given.some((g) => g.id === f.id || g.name === f.name),
  );
  return { ...raw, fields: [...missing, ...given] };
}

/** Runs DDL; SQLite's refusal (a name taken by an index, a view in the way) is the client's 400. */
function ddl(message: string, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (err instanceof SqliteError) throw ApiError.badRequest(`${message} ${err.message}.`, undefined, err);
    throw err;
  }
}

/** Every other view must still run after a change; stored queries follow renamed tables. */
function keepViewsWorking(deps: CollectionDeps, changedId: string): void {
  const views = deps.collections.all().filter((c) => c.type === 'view' && c.id !== changedId);
  const updated = checkViews(deps.db.sql, views);
  for (const view of updated) {
    // The columns it reads may have new names or types now: derive its fields again.
    deriveViewFields(
      deps.db.sql,
      view,
      views.find((v) => v.id === view.id),
      deps.collections,
    );
    writeCollection(deps.db.sql, view);
  }
  if (updated.length > 0) deps.collections.invalidate();
}

function prefixErrors(err: unknown, index: number): unknown {
  if (!(err instanceof ApiError) || err.status !== 400) return err;
  return ApiError.badRequest('Failed to import the collections.', {
    collections: { [String(index)]: err.data },
  } as ErrorData);
}
