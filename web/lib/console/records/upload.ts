import { ClientResponseError, type RecordModel } from 'pocketbase';

/**
 * Record writes that carry files. The SDK sends with fetch(), which reports no upload progress, so a
 * write with files goes out as the same multipart request the SDK would build (values as JSON in
 * `@jsonPayload`, files as parts) through XMLHttpRequest, whose `upload.onprogress` drives a
 * progress bar. Failures come back as the SDK's ClientResponseError, so they show like any other.
 */

/** New files for one file field. */
export interface FileUpload {
  field: string;
  /** The field holds several files (maxSelect > 1): these are added to the ones it keeps. */
  multiple: boolean;
  files: File[];
}

/**
 * The multipart body of a record write: `body` as `@jsonPayload`, files of a multi-file field under
 * `field+` (append, PocketBase's modifier) and the file of a single-file field under its plain name
 * (replace; only the last one chosen, since the field holds one).
 */
export function buildRecordFormData(body: Record<string, unknown>, uploads: readonly FileUpload[]): FormData {
  const form = new FormData();
  form.append('@jsonPayload', JSON.stringify(body));
  for (const upload of uploads) {
    const files = upload.multiple ? upload.files : upload.files.slice(-1);
    for (const file of files)
      form.append(upload.multiple ? `${upload.field}+` : upload.field, file, file.name);
  }
  return form;
}

/** `/api/collections/{c}/records` or `…/records/{id}`, with both parts escaped. */
export function recordPath(collection: string, id?: string): string {
  const base = `/api/collections/${encodeURIComponent(collection)}/records`;
  return id === undefined ? base : `${base}/${encodeURIComponent(id)}`;
}

export interface SendOptions {
  url: string;
  method: 'POST' | 'PATCH';
  /** The console's token, sent as PocketBase reads it: the bare token in Authorization. */
  token: string;
  body: FormData;
  /** Bytes sent so far and in all (0 when the browser cannot tell). */
  onprogress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
  /** For tests: makes the request object. */
  makeRequest?: () => XMLHttpRequest;
}

function parseBody(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Sends a multipart record write, reporting upload progress; resolves to the saved record. */
export function sendRecordForm(options: SendOptions): Promise<RecordModel> {
  const { url, method, token, body, onprogress, signal } = options;
  return new Promise((resolve, reject) => {
    const xhr = options.makeRequest?.() ?? new XMLHttpRequest();
    const fail = (status: number, response: Record<string, unknown>, isAbort = false) =>
      reject(new ClientResponseError({ url, status, response, isAbort }));
    xhr.open(method, url);
    if (token) xhr.setRequestHeader('Authorization', token);
    xhr.upload.onprogress = (e) => onprogress?.(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      const response = parseBody(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(response as RecordModel);
      else fail(xhr.status, response);
    };
    // No status: the server could not be reached, or it closed the connection mid-upload.
    xhr.onerror = () => fail(0, {});
    xhr.onabort = () => fail(0, {}, true);
    if (signal?.aborted) {
      fail(0, {}, true);
      return;
    }
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
