/**
 * The one error type handlers throw. It leaves the server as PocketBase's error JSON
 * `{status, message, data}` (see pocketbase/pocketbase tools/router/error.go); the `cause`
 * is for the log only and is never sent.
 */

/** A field-level validation failure, as PocketBase puts it under `data.<field>`. */
export interface FieldError {
  code: string;
  message: string;
  params?: Record<string, unknown>;
}

/** `data` of an error: field → error, nested for lists and objects (`fields.0.name`). */
export interface ErrorData {
  [key: string]: FieldError | ErrorData;
}

const defaultMessages: Record<number, string> = {
  400: 'Something went wrong while processing your request.',
  401: 'Missing or invalid authentication.',
  403: 'You are not allowed to perform this request.',
  404: "The requested resource wasn't found.",
  413: 'Request entity too large.',
  429: 'Too Many Requests.',
  500: 'Something went wrong while processing your request.',
  503: 'Service unavailable.',
};

/** PocketBase "sentenizes" messages: first letter upper case, a final period. */
function sentenize(message: string): string {
  const trimmed = message.trim();
  if (trimmed === '') return trimmed;
  const first = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export class ApiError extends Error {
  readonly status: number;
  readonly data: ErrorData;
  /** Extra response headers, e.g. `Connection: close` on 413. */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message = '',
    options: { data?: ErrorData; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(sentenize(message || defaultMessages[status] || 'Request failed.'), { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.data = options.data ?? {};
    this.headers = options.headers ?? {};
  }

  static badRequest(message = '', data?: ErrorData, cause?: unknown): ApiError {
    return new ApiError(400, message, { data, cause });
  }

  static unauthorized(message = ''): ApiError {
    return new ApiError(401, message);
  }

  static forbidden(message = ''): ApiError {
    return new ApiError(403, message);
  }

  static notFound(message = ''): ApiError {
    return new ApiError(404, message);
  }

  static tooLarge(message = ''): ApiError {
    // The rest of an oversized body is never read: closing the connection is the only way to stop it.
    return new ApiError(413, message, { headers: { connection: 'close' } });
  }

  static internal(cause: unknown): ApiError {
    return new ApiError(500, '', { cause });
  }

  /** The JSON body PocketBase clients expect. */
  toJSON(): { status: number; message: string; data: ErrorData } {
    return { status: this.status, message: this.message, data: this.data };
  }
}

/** Builds `data` for a single invalid field. */
export function fieldError(field: string, code: string, message: string): ErrorData {
  return { [field]: { code, message: sentenize(message) } };
}
