import { fileTypeFromBuffer } from 'file-type';

/**
 * A file's type, told from its first bytes — never from what the client claimed — as PocketBase
 * does (gabriel-vasile/mimetype). Binary formats by their signatures (file-type); text by being
 * valid UTF-8 without NUL bytes, with a few text formats recognised by their opening.
 */
export const SNIFF_BYTES = 4100;

export interface Sniffed {
  mime: string;
  /** With its dot; empty when unknown. */
  ext: string;
}

const OCTET: Sniffed = { mime: 'application/octet-stream', ext: '' };

function isText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    // A multi-byte character cut at the end of the sample is still text.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, cutPoint(head)));
    return true;
  } catch {
    return false;
  }
}

/** Where the sample ends without splitting a UTF-8 sequence. */
function cutPoint(head: Uint8Array): number {
  let end = head.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = head[end - i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b >= 0xc0) end -= i; // a lead byte whose sequence may be cut
    break;
  }
  return end;
}

function textType(head: Uint8Array): Sniffed {
  const start = new TextDecoder().decode(head.subarray(0, 512)).trimStart().toLowerCase();
  if (start.startsWith('<?xml') || start.startsWith('<svg')) {
    return start.includes('<svg')
      ? { mime: 'image/svg+xml', ext: '.svg' }
      : { mime: 'text/xml', ext: '.xml' };
  }
  if (start.startsWith('<!doctype html') || start.startsWith('<html'))
    return { mime: 'text/html', ext: '.html' };
  if (start.startsWith('{') || start.startsWith('[')) return { mime: 'application/json', ext: '.json' };
  return { mime: 'text/plain', ext: '.txt' };
}

/** The type of a file from its first SNIFF_BYTES bytes. */
export async function sniff(head: Uint8Array): Promise<Sniffed> {
  if (head.length === 0) return { mime: 'text/plain', ext: '.txt' };
  const found = await fileTypeFromBuffer(head);
  if (found) return { mime: found.mime, ext: `.${found.ext}` };
  return isText(head) ? textType(head) : OCTET;
}

/** The Content-Type to send: text types carry their charset. */
export function contentType(sniffed: Sniffed): string {
  const text =
    sniffed.mime.startsWith('text/') ||
    sniffed.mime === 'application/json' ||
    sniffed.mime === 'image/svg+xml';
  return text ? `${sniffed.mime}; charset=utf-8` : sniffed.mime;
}

/** Whether a sniffed type is one of a field's `mimeTypes` (`image/jpg` names JPEG too). */
export function mimeAllowed(mime: string, allowed: string[]): boolean {
  return allowed.some((raw) => {
    const want = raw.split(';')[0]!.trim().toLowerCase();
    return want === mime || (want === 'image/jpg' && mime === 'image/jpeg');
  });
}
