import { fileMaxSize, type Collection } from '../collections/collection.model';
import { ApiError, type ErrorData } from '../core/errors';
import type { ApiApp, ApiContext } from '../core/http';
import type { Deps } from '../main';
import type { Upload } from '../files/files.upload';
import { present, readRecordBody, withUploads } from './records.http';
import { recordRequest } from './records.request';
import {
  checkOldPassword,
  createRecordNow,
  deleteRecord,
  hashInputPasswords,
  updateRecordNow,
  type PasswordHashes,
} from './records.service';
import { findRow } from './records.store';

/**
 * POST /api/batch (pocketbase apis/batch.go): record creates, upserts, updates and deletes run in
 * one transaction — all or nothing — and answer `[{status, body}]`. Off unless `batch.enabled`.
 */
interface BatchItem {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  collection: Collection;
  id: string | undefined;
  hashes: PasswordHashes;
}

function parseUrl(url: string): URL {
  try {
    return new URL(url, 'http://batch.local');
  } catch {
    throw ApiError.badRequest('Invalid batch request url.');
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw ApiError.badRequest('Invalid batch request url.');
  }
}

const RECORDS_PATH = /^\/api\/collections\/([^/?#]+)\/records(?:\/([^/?#]+))?\/?$/;

function batchFailure(index: number, response: ReturnType<ApiError['toJSON']>): ApiError {
  return ApiError.badRequest('Batch transaction failed.', {
    requests: {
      [String(index)]: { code: 'batch_request_failed', message: 'Batch request failed.', response },
    },
  } as unknown as ErrorData);
}

export function registerBatch(app: ApiApp, deps: Deps): void {
  app.post('/api/batch', async (c) => {
    if (!deps.settings.get('batch.enabled')) throw ApiError.forbidden('Batch requests are not allowed.');
    const limit = deps.settings.get('batch.maxBodySize') || 128 * 1024 * 1024;
    if (Number(c.req.header('content-length') ?? 0) > limit) throw ApiError.tooLarge();
    // Which field a file is for is only known once @jsonPayload is read (the SDK sends it last): while
    // streaming, a file may be as large as the largest file field allows; its own field's limit is
    // checked with the rest of the request.
    let largestFile = 0;
    for (const collection of deps.collections.all()) {
      for (const f of collection.fields)
        if (f.type === 'file') largestFile = Math.max(largestFile, fileMaxSize(f));
    }
    const { body, uploads, discard } = await readRecordBody(c, {
      storage: deps.files,
      maxValueBytes: Math.min(limit, deps.settings.get('http.maxBodySize')),
      maxBodyBytes: limit,
      fileLimit: (key) =>
        largestFile > 0 && /^requests\.\d+\./.test(key) ? Math.min(limit, largestFile) : null,
    });
    try {
      return await runBatch(c, body, uploads);
    } finally {
      discard();
    }
  });

  async function runBatch(c: ApiContext, body: Record<string, unknown>, uploads: Map<string, Upload[]>) {
    const list = body['requests'];
    const max = deps.settings.get('batch.maxRequests');
    if (!Array.isArray(list) || list.length === 0) {
      throw ApiError.badRequest('Failed to read the batch.', {
        requests: { code: 'validation_required', message: 'Cannot be blank.' },
      });
    }
    if (list.length > max) {
      throw ApiError.badRequest('Failed to read the batch.', {
        requests: { code: 'validation_length_too_long', message: `The length must be no more than ${max}.` },
      });
    }

    // Everything async (parsing, password hashing) happens before the transaction, which is synchronous.
    const items: BatchItem[] = [];
    for (const [i, raw] of list.entries()) {
      try {
        items.push(await parseItem(c, raw, withUploadsOf(raw, uploads, i)));
      } catch (err) {
        if (err instanceof ApiError) throw batchFailure(i, err.toJSON());
        throw err;
      }
    }

    const deadline = Date.now() + deps.settings.get('batch.timeout') * 1000;
    const results = deps.db.transaction(() =>
      items.map((item, i) => {
        if (Date.now() > deadline)
          throw batchFailure(i, new ApiError(400, 'Batch transaction timed out.').toJSON());
        try {
          return runItem(c, item);
        } catch (err) {
          if (err instanceof ApiError) throw batchFailure(i, err.toJSON());
          throw err;
        }
      }),
    );
    return c.json(results);
  }

  function withUploadsOf(
    raw: unknown,
    uploads: Map<string, Upload[]>,
    index: number,
  ): Record<string, unknown> {
    const body =
      typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['body'] : undefined;
    const input = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
    return withUploads(input as Record<string, unknown>, uploads, `requests.${index}.`);
  }

  async function parseItem(c: ApiContext, raw: unknown, input: Record<string, unknown>): Promise<BatchItem> {
    if (typeof raw !== 'object' || raw === null)
      throw ApiError.badRequest('Each batch request must be an object.');
    const { method, url } = raw as Record<string, unknown>;
    if (typeof method !== 'string' || typeof url !== 'string') {
      throw ApiError.badRequest('Each batch request needs a method and a url.');
    }
    const parsed = parseUrl(url);
    const m = RECORDS_PATH.exec(parsed.pathname);
    const verb = method.toUpperCase();
    const allowed = m && (m[2] ? verb === 'PATCH' || verb === 'DELETE' : verb === 'POST' || verb === 'PUT');
    if (!m || !allowed) throw ApiError.badRequest(`Unsupported batch action: ${verb} ${parsed.pathname}.`);
    const collection = deps.collections.find(decode(m[1]!));
    if (!collection) throw ApiError.notFound('Missing collection context.');
    const id = m[2] ? decode(m[2]) : undefined;
    const target = verb === 'PATCH' ? id : verb === 'PUT' ? (input['id'] as string | undefined) : undefined;
    if (typeof target === 'string') {
      await checkOldPassword(deps, collection, target, input, recordRequest(c, deps.collections, input));
    }
    return {
      method: verb,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      body: input,
      collection,
      id,
      hashes: await hashInputPasswords(collection, input),
    };
  }

  function runItem(c: ApiContext, item: BatchItem): { status: number; body: unknown } {
    const request = recordRequest(c, deps.collections, item.body);
    request.info.query = item.query;
    request.info.method = item.method;
    const respond = (row: Parameters<typeof present>[3][number]) =>
      present(deps, c, item.collection, [row], request, {
        expand: item.query['expand'],
        fields: item.query['fields'],
      })[0];
    switch (item.method) {
      case 'POST':
        return {
          status: 200,
          body: respond(createRecordNow(deps, item.collection, item.body, request, item.hashes)),
        };
      case 'PUT': {
        // Upsert: update when the body's id names an existing record, create otherwise.
        const id = typeof item.body['id'] === 'string' ? item.body['id'] : '';
        if (!id) {
          throw ApiError.badRequest('Failed to upsert the record.', {
            id: { code: 'validation_required', message: 'Cannot be blank.' },
          });
        }
        const row = findRow(deps.db, item.collection, id)
          ? updateRecordNow(
              deps,
              item.collection,
              id,
              item.body,
              { ...request, info: { ...request.info, method: 'PATCH' } },
              item.hashes,
            )
          : createRecordNow(
              deps,
              item.collection,
              item.body,
              { ...request, info: { ...request.info, method: 'POST' } },
              item.hashes,
            );
        return { status: 200, body: respond(row) };
      }
      case 'PATCH':
        return {
          status: 200,
          body: respond(updateRecordNow(deps, item.collection, item.id!, item.body, request, item.hashes)),
        };
      default:
        deleteRecord(deps, item.collection, item.id!, request);
        return { status: 204, body: null };
    }
  }
}
