import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { issueToken, verifyRecordToken } from '../auth/record-tokens';
import { isMultiple, type Collection, type FileField } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import { requestHeader, SUPERUSERS, type ApiApp, type ApiContext } from '../core/http';
import type { Deps } from '../main';
import { toList } from '../records/record.values';
import { findAllowed } from '../records/records.query';
import { recordRequest } from '../records/records.request';
import { findRow, type Row } from '../records/records.store';
import { contentType, SNIFF_BYTES, sniff, type Sniffed } from './files.mime';
import { isPlainFileName } from './files.names';
import { disposition, entityTag, fileHeaders, matchesETag, parseRange, wantsDownload } from './files.serve';
import { DEFAULT_THUMBS, ensureThumb, THUMB_SOURCE_TYPES } from './files.thumbs';

/**
 * PocketBase's files API (apis/file.go): `GET|HEAD /api/files/{collection}/{recordId}/{filename}`
 * with Range, ETag, `download=1` and `thumb=`; `POST /api/files/token` for protected files. Files of
 * a record go when the record or its collection does (records.service.ts, and CollectionDelete here).
 */
export function register(app: ApiApp, deps: Deps): void {
  deps.bus.subscribe('CollectionDelete', ({ id }) => deps.files.removeCollection(id));

  app.post('/api/files/token', async (c) => {
    const auth = c.get('auth');
    const collection = auth ? deps.collections.find(auth.collectionId) : undefined;
    if (!auth || !collection) throw ApiError.unauthorized('Missing auth context.');
    const token = issueToken(
      deps,
      collection,
      { id: auth.id, tokenKey: String(auth.row['tokenKey'] ?? '') },
      'file',
    );
    return c.json({ token });
  });

  const types = new TypeCache();

  app.get('/api/files/:collection/:recordId/:filename', async (c) => {
    const collection = deps.collections.find(c.req.param('collection'));
    const recordId = c.req.param('recordId');
    const name = c.req.param('filename');
    if (!collection || collection.type === 'view' || !isPlainFileName(name)) throw ApiError.notFound();
    const row = findRow(deps.db, collection, recordId);
    const field = row && fileFieldHolding(collection, row, name);
    if (!row || !field) throw ApiError.notFound();
    if (field.protected) await checkProtected(deps, c, collection, recordId);

    const original = deps.files.filePath(collection.id, recordId, name);
    if (!original) throw ApiError.notFound();
    let path = original;
    const thumb = c.req.query('thumb');
    if (thumb && (DEFAULT_THUMBS.includes(thumb) || field.thumbs?.includes(thumb))) {
      const version = await fileVersion(original);
      const type = version && (await types.of(original, version));
      const target = deps.files.thumbPath(collection.id, recordId, name, thumb);
      if (version && type && target && THUMB_SOURCE_TYPES.includes(type.mime)) {
        const made = await ensureThumb({ path: original, version, mime: type.mime }, target, thumb, (err) =>
          deps.logger.warn({ err, file: original, thumb }, 'thumb failed; serving the original'),
        );
        if (made) path = target;
      }
    }
    return serveFile(c, path, path === original ? name : `${thumb}_${name}`, field.protected, types);
  });
}

/** The file field whose value names this file. */
function fileFieldHolding(collection: Collection, row: Row, name: string): FileField | undefined {
  return collection.fields.find(
    (f): f is FileField =>
      f.type === 'file' &&
      toList(isMultiple(f) ? JSON.parse(String(row[f.name] ?? '[]')) : row[f.name]).includes(name),
  );
}

/**
 * A protected file opens for a `?token=` file token whose owner passes the collection's view rule
 * (superusers always), as PocketBase: 403 otherwise.
 */
async function checkProtected(deps: Deps, c: ApiContext, collection: Collection, id: string): Promise<void> {
  const denied = ApiError.forbidden('Insufficient permissions to access the file resource.');
  const token = c.req.query('token')?.trim() ?? '';
  const owner = token ? verifyRecordToken(deps, token, 'file') : null;
  const request = recordRequest(c, deps.collections, {}, 'protectedFile');
  request.isSuperuser = owner?.collection.id === SUPERUSERS.id;
  request.info.auth = owner ? { collection: owner.collection, record: owner.row } : null;
  if (request.isSuperuser) return;
  try {
    if (!findAllowed(deps, collection, 'viewRule', id, request)) throw denied;
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) throw denied;
    throw err;
  }
}

/** Sniffed types of stored files, by path and version: told once from the first bytes. */
class TypeCache {
  #types = new Map<string, Sniffed>();

  async of(path: string, etag?: string): Promise<Sniffed | undefined> {
    const key = `${path}\n${etag ?? (await fileVersion(path)) ?? ''}`;
    const known = this.#types.get(key);
    if (known) return known;
    let handle;
    try {
      handle = await open(path, 'r');
    } catch {
      return undefined;
    }
    try {
      const head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      const type = await sniff(head.subarray(0, bytesRead));
      if (this.#types.size >= 5000) this.#types.clear();
      this.#types.set(key, type);
      return type;
    } finally {
      await handle.close();
    }
  }
}

async function fileVersion(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return entityTag(s.size, s.mtimeMs);
  } catch {
    return undefined;
  }
}

async function serveFile(
  c: ApiContext,
  path: string,
  name: string,
  isProtected: boolean,
  types: TypeCache,
): Promise<Response> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw ApiError.notFound();
  }
  if (!info.isFile()) throw ApiError.notFound();
  const etag = entityTag(info.size, info.mtimeMs);
  const type = (await types.of(path, etag)) ?? { mime: 'application/octet-stream', ext: '' };
  const headers: Record<string, string> = {
    ...fileHeaders(isProtected),
    etag,
    'last-modified': info.mtime.toUTCString(),
    'content-type': contentType(type),
    'content-disposition': disposition(type.mime, name, wantsDownload(c.req.query('download'))),
  };
  if (matchesETag(requestHeader(c, 'if-none-match'), etag))
    return new Response(null, { status: 304, headers });

  const ifRange = requestHeader(c, 'if-range');
  const range = ifRange && ifRange !== etag ? null : parseRange(requestHeader(c, 'range'), info.size);
  if (range === 'unsatisfiable') {
    return new Response(null, {
      status: 416,
      headers: { ...headers, 'content-range': `bytes */${info.size}` },
    });
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? info.size - 1;
  headers['content-length'] = String(Math.max(0, end - start + 1));
  if (range) headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
  const status = range ? 206 : 200;
  if (c.req.method === 'HEAD' || info.size === 0) return new Response(null, { status, headers });
  const stream = createReadStream(path, { start, end, highWaterMark: 256 * 1024 });
  return new Response(Readable.toWeb(stream) as ReadableStream, { status, headers });
}
