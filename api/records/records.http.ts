import type { Collection } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import { readJsonBody, requestHeader, type ApiContext } from '../core/http';
import type { Deps } from '../main';
import { expandRecords, parseExpand } from './records.expand';
import { exportRecord, parseFields, pickFields, type RecordJSON } from './records.export';
import type { QueryDeps } from './records.query';
import type { RecordRequest } from './records.request';
import type { Row } from './records.store';

/** The HTTP edges the record routes and the batch share: finding the collection, bodies, answers. */

export function findCollection(deps: Deps, c: ApiContext): Collection {
  const collection = deps.collections.find(c.req.param('collection') ?? '');
  if (!collection) throw ApiError.notFound('Missing collection context.');
  return collection;
}

/**
 * Checks `expand` and `fields` before a write, so a malformed one is a 400 before anything is saved
 * rather than after.
 */
export function checkPresentation(c: ApiContext): void {
  parseExpand(c.req.query('expand') ?? '');
  parseFields(c.req.query('fields') ?? '');
}

/** Records as JSON with the request's `expand` and `fields` applied. */
export function present(
  deps: Deps,
  c: ApiContext,
  collection: Collection,
  rows: Row[],
  request: RecordRequest,
  query: { expand?: string; fields?: string } = {
    expand: c.req.query('expand'),
    fields: c.req.query('fields'),
  },
): RecordJSON[] {
  return presentRecords(deps, collection, rows, request, query);
}

/** Records as JSON for this request, with `expand` and `fields` applied (also used by realtime). */
export function presentRecords(
  deps: QueryDeps,
  collection: Collection,
  rows: Row[],
  request: RecordRequest,
  query: { expand?: string; fields?: string },
): RecordJSON[] {
  const fields = parseFields(query.fields ?? '');
  const items = rows.map((row) => ({ row, json: exportRecord(collection, row, request) }));
  expandRecords(deps, collection, items, query.expand ?? '', request);
  return items.map((i) => (fields ? pickFields(i.json, fields) : i.json));
}

/**
 * A record body: JSON, or multipart/urlencoded form data where non-file values may travel as JSON in
 * `@jsonPayload` (what the SDK sends). Repeated form keys become lists.
 */
export async function readRecordBody(c: ApiContext): Promise<Record<string, unknown>> {
  const type = (requestHeader(c, 'content-type') ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data') && !type.startsWith('application/x-www-form-urlencoded')) {
    const length = requestHeader(c, 'content-length');
    if (length === '0' || (!type && !length && !requestHeader(c, 'transfer-encoding'))) return {};
    return readJsonBody(c);
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw ApiError.badRequest('Failed to read the request body as form data.', undefined, err);
  }
  return formToBody(form);
}

export function formToBody(form: FormData): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const files: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key === '@jsonPayload' && typeof value === 'string') {
      let payload: unknown;
      try {
        payload = JSON.parse(value);
      } catch (err) {
        throw ApiError.badRequest('Failed to read @jsonPayload as JSON.', undefined, err);
      }
      if (typeof payload === 'object' && payload !== null && !Array.isArray(payload))
        Object.assign(body, payload);
      continue;
    }
    if (typeof value !== 'string') {
      files[key] = { code: 'validation_invalid_file', message: 'File uploads are not supported yet.' };
      continue;
    }
    const existing = body[key];
    body[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  if (Object.keys(files).length > 0) throw ApiError.badRequest('Failed to save the record.', files as never);
  return body;
}
