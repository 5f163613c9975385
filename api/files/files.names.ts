import { newRecordId } from '../lib/id';

/**
 * Stored file names, as PocketBase makes them (tools/filesystem/file.go): the client's name in
 * snake_case (3 characters to 100 bytes), a random 10-character suffix so names cannot be guessed, and the
 * cleaned extension — `My Photo.JPG` becomes `my_photo_k2x9a0b1c3.JPG`. Whatever the client sent,
 * the result is a plain file name: no separators, no leading dot, nothing that walks out of a folder.
 */

/** The extension with its dot, keeping double ones (`.tar.gz`); empty when there is none. */
function extension(name: string): string {
  const last = name.lastIndexOf('.');
  if (last <= 0) return '';
  const before = name.lastIndexOf('.', last - 1);
  return before > 0 ? name.slice(before) : name.slice(last);
}

/** `MyPhoto-2024 (1)` → `my_photo_2024_1`: words of letters and digits, camelCase split, lowercased. */
export function snakeCase(text: string): string {
  const words = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return words.map((w) => w.replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, '$1_$2').toLowerCase()).join('_');
}

/** The longest start of `text` within `max` UTF-8 bytes, never splitting a character. */
function cutToBytes(text: string, max: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > max) break;
    out += ch;
  }
  return out;
}

/**
 * The stored name for an upload named `original` by the client; `detectedExt` (from the content,
 * with its dot) is used when the name has no usable extension.
 */
export function storedName(original: string, detectedExt = ''): string {
  // Only the last path segment counts, whichever separator the client's system used.
  const base = original.split(/[/\\]/).pop() ?? '';
  const rawExt = extension(base);
  let ext = rawExt.replace(/[^\w.*\-+=#]+/g, '').replace(/\.{2,}/g, '.');
  if (ext.endsWith('.')) ext = ext.slice(0, -1);
  if (ext === '' || ext === '.') ext = detectedExt;
  if (ext.length > 20) ext = `.${ext.slice(-20).replace(/^\.+/, '')}`; // ASCII after the cleaning
  let name = cutToBytes(snakeCase(rawExt ? base.slice(0, -rawExt.length) : base), 100);
  if (name.length < 3) name += newRecordId(10);
  return `${name}_${newRecordId(10)}${ext}`;
}

/** PocketBase's check for a file name in a path or a field: no separators, no leading dot, ≤ 255 bytes. */
export function isPlainFileName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) <= 255 && !name.startsWith('.') && !/[/\\\0]/.test(name);
}
