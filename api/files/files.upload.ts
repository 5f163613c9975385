import busboy from 'busboy';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiError } from '../core/errors';
import { requestHeader, type ApiContext, type AppEnv } from '../core/http';
import { SNIFF_BYTES, sniff } from './files.mime';
import { storedName } from './files.names';
import type { FileStorage } from './files.storage';

/**
 * Multipart bodies read as a stream (busboy): values are kept, each file goes straight to a temp
 * file in `storage/.tmp` while its bytes are counted, so memory stays flat whatever the size. A file
 * past its field's limit, or a body past the total, stops the read at once: the client gets its
 * answer (with Connection: close, see the lingering close in api/server.ts) without the server
 * reading the rest.
 */

/** A file that arrived in a request, waiting in the temp folder to be moved to its record. */
export class Upload {
  constructor(
    /** The name the client gave. */
    readonly originalName: string,
    /** The name it is stored under (see files.names.ts). */
    readonly name: string,
    readonly size: number,
    /** Sniffed from the content (files.mime.ts), not taken from the client. */
    readonly mime: string,
    readonly tempPath: string,
  ) {}
}

export interface MultipartLimits {
  storage: FileStorage;
  /** Bytes one file under this form key may have; null when the key takes no files (skipped). */
  fileLimit(key: string): number | null;
  /** Bytes of all values (non-file parts) together. */
  maxValueBytes: number;
  /** Bytes of the whole body. */
  maxBodyBytes: number;
}

export interface MultipartBody {
  /** Values and uploads, in the order they came. */
  entries: [string, string | Upload][];
  /** Deletes the temp files of uploads not moved into place. Safe to call more than once. */
  discard(): void;
}

const MAX_PARTS = 1000;

/** The body's bytes: Node's request when served by @hono/node-server, else the Request's stream. */
function source(c: ApiContext): Readable {
  const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming;
  if (incoming && !incoming.readableDidRead) return incoming;
  const body = c.req.raw.body;
  if (!body) return Readable.from([]);
  return Readable.fromWeb(body as unknown as WebReadableStream<Uint8Array>);
}

function sizeError(key: string, file: string, limit: number): ApiError {
  const field = key.replace(/^\+|[+-]$/g, '').replace(/^requests\.\d+\./, '');
  // The rest of the body is not read: the connection closes after the answer (api/server.ts lingers).
  return new ApiError(400, 'Failed to upload the file.', {
    headers: { connection: 'close' },
    data: {
      [field]: {
        code: 'validation_file_size_limit',
        message: `Failed to upload ${JSON.stringify(file)} - the maximum allowed file size is ${limit} bytes.`,
      },
    },
  });
}

export function readMultipart(c: ApiContext, limits: MultipartLimits): Promise<MultipartBody> {
  const { storage } = limits;
  const length = requestHeader(c, 'content-length');
  if (length !== undefined && Number(length) > limits.maxBodyBytes)
    return Promise.reject(ApiError.tooLarge());
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': requestHeader(c, 'content-type') ?? '' },
      defParamCharset: 'utf8',
      limits: {
        fieldSize: limits.maxValueBytes,
        fieldNameSize: 500,
        fields: MAX_PARTS,
        files: MAX_PARTS,
        parts: MAX_PARTS,
      },
    });
  } catch (err) {
    return Promise.reject(
      ApiError.badRequest('Failed to read the request body as form data.', undefined, err),
    );
  }

  const input = source(c);
  const entries: [string, string | Upload][] = [];
  const temps = new Set<string>();
  const writers = new Set<WriteStream>();
  const pending: Promise<void>[] = [];
  const discard = () => {
    for (const path of temps) rmSync(path, { force: true });
    temps.clear();
  };

  return new Promise<MultipartBody>((resolve, reject) => {
    let failed = false;
    const fail = (err: ApiError) => {
      if (failed) return;
      failed = true;
      input.unpipe(parser);
      parser.removeAllListeners('file').removeAllListeners('field');
      for (const w of writers) w.destroy();
      discard();
      reject(err);
    };

    let total = 0;
    input.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limits.maxBodyBytes) fail(ApiError.tooLarge());
    });
    input.once('error', (err) => fail(ApiError.badRequest('The upload was interrupted.', undefined, err)));
    input.once('aborted', () => fail(ApiError.badRequest('The upload was interrupted.')));

    let valueBytes = 0;
    parser.on('field', (key, value, info) => {
      valueBytes += Buffer.byteLength(value);
      if (info.valueTruncated || valueBytes > limits.maxValueBytes) return fail(ApiError.tooLarge());
      entries.push([key, value]);
    });

    parser.on('file', (key, stream, info) => {
      const filename = info.filename ?? '';
      const limit = filename ? limits.fileLimit(key) : null;
      if (limit === null) {
        stream.resume(); // an empty file input, or a key that takes no files: skipped as PocketBase does
        return;
      }
      const slot = entries.length;
      entries.push([key, '']);
      const tempPath = storage.tempPath();
      temps.add(tempPath);
      const writer = createWriteStream(tempPath, { flags: 'wx' });
      writers.add(writer);
      const head: Buffer[] = [];
      let headBytes = 0;
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return fail(sizeError(key, filename, limit));
        if (headBytes < SNIFF_BYTES) {
          head.push(chunk);
          headBytes += chunk.length;
        }
      });
      stream.pipe(writer);
      pending.push(
        new Promise<void>((done) => {
          writer.once('error', (err) => {
            fail(ApiError.internal(err));
            done();
          });
          writer.once('close', () => {
            writers.delete(writer);
            if (failed) {
              // The file may have been created (opening is asynchronous) after fail() discarded it.
              rmSync(tempPath, { force: true });
              return done();
            }
            const unknown = { mime: 'application/octet-stream', ext: '' };
            void sniff(Buffer.concat(head).subarray(0, SNIFF_BYTES))
              .catch(() => unknown)
              .then((type) => {
                entries[slot] = [
                  key,
                  new Upload(filename, storedName(filename, type.ext), size, type.mime, tempPath),
                ];
                done();
              });
          });
        }),
      );
    });

    const tooMany = () => fail(ApiError.badRequest(`A form may have at most ${MAX_PARTS} parts.`));
    parser.on('partsLimit', tooMany);
    parser.on('filesLimit', tooMany);
    parser.on('fieldsLimit', tooMany);
    parser.once('error', (err) =>
      fail(ApiError.badRequest('Failed to read the request body as form data.', undefined, err)),
    );
    parser.once('close', () => {
      void Promise.all(pending).then(() => {
        if (!failed) resolve({ entries, discard });
      });
    });
    input.pipe(parser);
  });
}
