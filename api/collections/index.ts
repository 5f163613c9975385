import { ApiError } from '../core/errors';
import { readJsonBody, requireSuperuser, type ApiApp, type ApiContext } from '../core/http';
import { compileFilter, FilterError, type FieldResolver } from '../lib/filter';
import { quoteIdent, SqlParams } from '../lib/sql';
import type { Deps } from '../main';
import { defaultAuthOptions, systemFields } from './collection.build';
import type { Collection, CollectionType } from './collection.model';
import {
  deleteCollection,
  importCollections,
  saveCollection,
  toCollectionJSON,
  validateCollection,
} from './collections.service';
import { parsePaging, paginate } from '../records/records.paging';

/**
 * /api/collections (superusers only): list, view, create, update, delete, import and scaffolds, as
 * PocketBase's apis/collection.go. Truncate lives with the records (it deletes records).
 */
export function register(app: ApiApp, deps: Deps): void {
  const find = (c: ApiContext, idOrName = c.req.param('collection') ?? ''): Collection => {
    const found = deps.collections.find(idOrName);
    if (!found) throw ApiError.notFound('Missing collection context.');
    return found;
  };

  app.get('/api/collections', (c) => {
    requireSuperuser(c);
    const paging = parsePaging(c.req.query());
    let list = [...deps.collections.all()];
    const filter = c.req.query('filter');
    if (filter) list = filterCollections(deps, list, filter);
    list = sortCollections(list, c.req.query('sort') ?? '');
    return c.json(paginate(list.map(toCollectionJSON), paging));
  });

  app.get('/api/collections/meta/scaffolds', (c) => {
    requireSuperuser(c);
    const scaffold = (type: CollectionType) =>
      toCollectionJSON({
        id: '',
        name: '',
        type,
        system: false,
        fields: systemFields(type),
        indexes: [],
        listRule: null,
        viewRule: null,
        createRule: null,
        updateRule: null,
        deleteRule: null,
        created: '',
        updated: '',
        ...(type === 'view' ? { viewQuery: '' } : {}),
        ...(type === 'auth' ? { auth: defaultAuthOptions() } : {}),
      });
    return c.json({ auth: scaffold('auth'), base: scaffold('base'), view: scaffold('view') });
  });

  app.put('/api/collections/import', async (c) => {
    requireSuperuser(c);
    const body = await readJsonBody(c);
    importCollections(deps, body['collections'], body['deleteMissing'] === true);
    return c.body(null, 204);
  });

  app.get('/api/collections/:collection', (c) => {
    requireSuperuser(c);
    return c.json(toCollectionJSON(find(c)));
  });

  app.post('/api/collections', async (c) => {
    requireSuperuser(c);
    return c.json(toCollectionJSON(saveCollection(deps, await readJsonBody(c))));
  });

  app.patch('/api/collections/:collection', async (c) => {
    requireSuperuser(c);
    const existing = find(c);
    return c.json(toCollectionJSON(saveCollection(deps, await readJsonBody(c), existing)));
  });

  // Hearth only: the dry run of create, or with ?collection=<idOrName> of update (same body, same
  // 400); 204 when the save would succeed. For the console's editor, before anything is changed.
  app.post('/api/hearth/collections/validate', async (c) => {
    requireSuperuser(c);
    const target = c.req.query('collection');
    const existing = target === undefined ? undefined : find(c, target);
    validateCollection(deps, await readJsonBody(c), existing);
    return c.body(null, 204);
  });

  app.delete('/api/collections/:collection', (c) => {
    requireSuperuser(c);
    deleteCollection(deps, find(c));
    return c.body(null, 204);
  });
}

const COLLECTION_FILTER_FIELDS = new Set([
  'id',
  'name',
  'type',
  'system',
  'created',
  'updated',
  'listRule',
  'viewRule',
  'createRule',
  'updateRule',
  'deleteRule',
]);

/** `?filter=` over the collection list, compiled like any filter against `_collections`. */
function filterCollections(deps: Deps, list: Collection[], filter: string): Collection[] {
  const resolver: FieldResolver = {
    resolve(identifier) {
      if (!COLLECTION_FILTER_FIELDS.has(identifier))
        throw new FilterError(`Invalid filter: unknown field "${identifier}".`);
      return { sql: quoteIdent(identifier) };
    },
  };
  const params = new SqlParams();
  let where: string;
  try {
    where = compileFilter(filter, resolver, params);
  } catch (err) {
    if (err instanceof FilterError) throw ApiError.badRequest(err.message);
    throw err;
  }
  const ids = new Set(
    deps.db.sql.prepare(`SELECT id FROM _collections WHERE ${where}`).pluck().all(params.values) as string[],
  );
  return list.filter((c) => ids.has(c.id));
}

function sortCollections(list: Collection[], sort: string): Collection[] {
  const keys = sort
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.sort((a, b) => {
    for (const key of keys) {
      const desc = key.startsWith('-');
      const name = key.replace(/^[-+]/, '') as keyof Collection;
      const av = String(a[name] ?? '');
      const bv = String(b[name] ?? '');
      if (av !== bv) return (av < bv ? -1 : 1) * (desc ? -1 : 1);
    }
    return 0;
  });
}
