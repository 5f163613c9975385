/**
 * The HTTP side of serving a stored file, pure: which byte range a request wants, the validator
 * that answers If-None-Match, and the headers PocketBase sends with a file (filesystem.Serve) —
 * inline only for types a browser shows without running anything, a sandboxing CSP, nosniff.
 */

export type Range = { start: number; end: number };

/**
 * The single byte range of a `Range` header (RFC 9110 §14.1.2) for a file of `size` bytes: null
 * means "send it all" (no header, not bytes, several ranges, or malformed), 'unsatisfiable' → 416.
 */
export function parseRange(header: string | undefined, size: number): Range | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

/** A strong validator from the file's size and modification time (stored files never change in place). */
export function entityTag(size: number, mtimeMs: number): string {
  return `"${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}"`;
}

/** Whether an If-None-Match header names this entity tag (weak comparison, `*` included). */
export function matchesETag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/** Types a browser may show inline (PocketBase's list); everything else is an attachment. */
const INLINE_TYPES = new Set([
  'image/png',
  'image/jpg',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/x-icon',
  'image/bmp',
  'video/webm',
  'video/mp4',
  'video/3gpp',
  'video/quicktime',
  'video/x-ms-wmv',
  'audio/basic',
  'audio/aiff',
  'audio/mpeg',
  'audio/midi',
  'audio/mp3',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-mpeg',
  'audio/x-m4a',
  'audio/aac',
  'application/pdf',
  'application/x-pdf',
]);

/** `download=1|true|t` (Go's ParseBool, as PocketBase reads it) forces an attachment. */
export function wantsDownload(value: string | undefined): boolean {
  return value !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}

/** Content-Disposition with a plain ASCII name and the exact one in RFC 8187 form. */
export function disposition(mime: string, name: string, download: boolean): string {
  const kind = !download && INLINE_TYPES.has(mime) ? 'inline' : 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16)}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/**
 * Headers every file answer carries. Files may be framed by Hearth's own pages (a PDF preview), by
 * no one else. Protected files are never kept by shared caches.
 */
export function fileHeaders(isProtected: boolean): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'",
    'x-frame-options': 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
    'cache-control': `${isProtected ? 'private, ' : ''}max-age=2592000, stale-while-revalidate=86400`,
    'accept-ranges': 'bytes',
  };
}
