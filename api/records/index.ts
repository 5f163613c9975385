import { ApiError } from '../core/errors';
import { requireSuperuser, type ApiApp } from '../core/http';
import type { Deps } from '../main';
import { registerBatch } from './batch';
import {
  checkPresentation,
  findCollection,
  present,
  readRecordBody,
  recordUploadLimits,
  withUploads,
} from './records.http';
import { cacheable, ListCache } from './records.cache';
import { parsePaging, result } from './records.paging';
import { findAllowed, listAllowed } from './records.query';
import { recordRequest } from './records.request';
import {
  checkCreatable,
  checkUpdatable,
  createRecord,
  deleteRecord,
  deleteWithCascade,
  updateRecord,
} from './records.service';
import { allIds, findRow } from './records.store';

/**
 * Records CRUD under /api/collections/{collection}/records, as PocketBase's apis/record_crud.go:
 * every read and write goes through the collection's access rules; answers honour `expand` and
 * `fields`. Also DELETE /api/collections/{c}/truncate and POST /api/batch.
 */
export function register(app: ApiApp, deps: Deps): void {
  const base = '/api/collections/:collection';

  const cache = new ListCache(deps.db);

  app.get(`${base}/records`, (c) => {
    const collection = findCollection(deps, c);
    const filter = c.req.query('filter') ?? '';
    const sort = c.req.query('sort') ?? '';
    const auth = c.get('auth');
    const key = cacheable(collection, filter, sort, c.req.query('expand') ?? '')
      ? `${collection.id}\n${auth ? `${auth.collectionId}/${auth.id}` : ''}\n${c.req.url.slice(c.req.url.indexOf('?') + 1)}`
      : undefined;
    const hit = key === undefined ? undefined : cache.get(key);
    if (hit !== undefined) return c.body(hit, 200, { 'content-type': 'application/json' });
    const stamp = cache.stamp();
    const request = recordRequest(c, deps.collections);
    const paging = parsePaging(c.req.query());
    const { rows, total } = listAllowed(deps, collection, { filter, sort, paging }, request);
    const body = JSON.stringify(result(present(deps, c, collection, rows, request), total, paging));
    if (key !== undefined) cache.set(key, body, stamp);
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.get(`${base}/records/:id`, (c) => {
    const collection = findCollection(deps, c);
    const request = recordRequest(c, deps.collections);
    const row = findAllowed(deps, collection, 'viewRule', c.req.param('id'), request);
    if (!row) throw ApiError.notFound();
    return c.json(present(deps, c, collection, [row], request)[0]);
  });

  app.post(`${base}/records`, async (c) => {
    const collection = findCollection(deps, c);
    checkPresentation(c);
    checkCreatable(deps, collection, recordRequest(c, deps.collections));
    const { body, uploads, discard } = await readRecordBody(c, recordUploadLimits(deps, collection));
    try {
      const input = withUploads(body, uploads);
      const request = recordRequest(c, deps.collections, input);
      const row = await createRecord(deps, collection, input, request);
      return c.json(present(deps, c, collection, [row], request)[0]);
    } finally {
      discard();
    }
  });

  app.patch(`${base}/records/:id`, async (c) => {
    const collection = findCollection(deps, c);
    checkPresentation(c);
    checkUpdatable(deps, collection, c.req.param('id'), recordRequest(c, deps.collections));
    const { body, uploads, discard } = await readRecordBody(c, recordUploadLimits(deps, collection));
    try {
      const input = withUploads(body, uploads);
      const request = recordRequest(c, deps.collections, input);
      const row = await updateRecord(deps, collection, c.req.param('id'), input, request);
      return c.json(present(deps, c, collection, [row], request)[0]);
    } finally {
      discard();
    }
  });

  app.delete(`${base}/records/:id`, (c) => {
    const collection = findCollection(deps, c);
    deleteRecord(deps, collection, c.req.param('id'), recordRequest(c, deps.collections));
    return c.body(null, 204);
  });

  app.delete(`${base}/truncate`, (c) => {
    requireSuperuser(c);
    const collection = findCollection(deps, c);
    if (collection.type === 'view') throw ApiError.badRequest('View collections cannot be truncated.');
    deps.db.transaction(() => {
      const seen = new Set<string>();
      for (const id of allIds(deps.db, collection)) {
        const row = findRow(deps.db, collection, id);
        if (row) deleteWithCascade(deps, collection, row, seen);
      }
    });
    return c.body(null, 204);
  });

  registerBatch(app, deps);
}
