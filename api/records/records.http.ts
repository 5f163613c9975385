import { fileMaxSize, findField, type Collection } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import { isMultipart, readJsonBody, requestHeader, type ApiContext } from '../core/http';
import { readMultipart, Upload, type MultipartLimits } from '../files/files.upload';
import type { Deps } from '../main';
import { expandRecords, parseExpand } from './records.expand';
import { exportRecord, parseFields, pickFields, type RecordJSON } from './records.export';
import type { QueryDeps } from './records.query';
import type { RecordRequest } from './records.request';
import { parseKey } from './record.input';
import { toList } from './record.values';
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

/** A request body: the values, and the uploads by form key (files under `requests.N.…` for a batch). */
export interface RecordBody {
  body: Record<string, unknown>;
  uploads: Map<string, Upload[]>;
  /** Deletes the temp files of uploads that were not moved into place; call when the request ends. */
  discard(): void;
}

const NO_UPLOADS: RecordBody = { body: {}, uploads: new Map(), discard: () => undefined };

/**
 * A record body: JSON, or multipart/urlencoded form data where non-file values may travel as JSON in
 * `@jsonPayload` (what the SDK sends) and files stream to disk as they arrive (api/files). Repeated
 * form keys become lists.
 */
export async function readRecordBody(c: ApiContext, limits: MultipartLimits): Promise<RecordBody> {
  const type = (requestHeader(c, 'content-type') ?? '').toLowerCase();
  if (isMultipart(c)) {
    const form = await readMultipart(c, limits);
    try {
      return { ...formToBody(form.entries), discard: form.discard };
    } catch (err) {
      form.discard();
      throw err;
    }
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw ApiError.badRequest('Failed to read the request body as form data.', undefined, err);
    }
    return { ...formToBody([...form.entries()] as [string, string][]), discard: NO_UPLOADS.discard };
  }
  const length = requestHeader(c, 'content-length');
  if (length === '0' || (!type && !length && !requestHeader(c, 'transfer-encoding'))) return NO_UPLOADS;
  return { body: await readJsonBody(c), uploads: new Map(), discard: NO_UPLOADS.discard };
}

function formToBody(entries: [string, string | Upload][]): Omit<RecordBody, 'discard'> {
  const body: Record<string, unknown> = {};
  const uploads = new Map<string, Upload[]>();
  for (const [key, value] of entries) {
    if (value instanceof Upload) {
      const list = uploads.get(key);
      if (list) list.push(value);
      else uploads.set(key, [value]);
      continue;
    }
    if (key === '@jsonPayload') {
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
    const existing = body[key];
    body[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return { body, uploads };
}

/**
 * The body with its uploads in place, as PocketBase's recordDataFromRequest: files under a plain key
 * follow the names sent under that key (kept files), files under `f+`, `+f` or `f-` replace what the
 * key carried. `prefix` picks one batch request's files (`requests.0.`).
 */
export function withUploads(
  body: Record<string, unknown>,
  uploads: Map<string, Upload[]>,
  prefix = '',
): Record<string, unknown> {
  const out = { ...body };
  for (const [fullKey, files] of uploads) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    const plain = !key.startsWith('+') && !key.endsWith('+') && !key.endsWith('-');
    const kept = plain && out[key] !== undefined && out[key] !== null ? toList(out[key]) : [];
    out[key] = [...kept, ...files];
  }
  return out;
}

/** The upload limits of a record write: each file field's maxSize, the body limit on top of the files. */
export function recordUploadLimits(deps: Deps, collection: Collection): MultipartLimits {
  const valueBytes = deps.settings.get('http.maxBodySize');
  let fileBytes = 0;
  for (const f of collection.fields)
    if (f.type === 'file') fileBytes += fileMaxSize(f) * Math.max(1, f.maxSelect);
  return {
    storage: deps.files,
    maxValueBytes: valueBytes,
    maxBodyBytes: valueBytes + fileBytes,
    fileLimit(key) {
      const field = findField(collection, parseKey(key).name);
      return field?.type === 'file' ? fileMaxSize(field) : null;
    },
  };
}
