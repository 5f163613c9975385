import { strToU8, zipSync, type Zippable } from 'fflate';
import { emptyBody, type Note, type NoteBody } from './notes.model';
import { entryBytes, listZip, type ZipEntry } from './zip.read';

/**
 * Export of notes as a zip of Markdown files with front matter, and import of Markdown files and
 * zips of them. Everything here runs in the browser on opened notes: nothing leaves the page.
 */

/**
 * The most UTF-8 JSON one note may seal to. The server keeps the sealed note as base64url in the
 * `ciphertext` field, at most CIPHERTEXT_MAX = 4 Mi characters (api/notes/migrations/
 * 20261122101000_collections.ts). Base64url spends 4 characters on 3 bytes, so 3 Mi bytes; sealing
 * adds 42 (web/lib/crypto/envelope.ts: version, kind, 24-byte nonce, 16-byte tag).
 */
export const NOTE_JSON_BYTES = ((4 * 1024 * 1024) / 4) * 3 - 42;

/** What one import may hold; past these, files are skipped rather than read. */
export const IMPORT_LIMITS = {
  /** Note files per import, counting each one inside a zip. */
  files: 5000,
  /**
   * One note file, in bytes (of UTF-8 text), checked before it is read. Below NOTE_JSON_BYTES by a
   * quarter MiB: the sealed JSON adds title, tags and flags, and escapes quotes, backslashes, tabs
   * and line breaks as two bytes each. Each note is also measured as it will be sealed ({@link
   * sealedFits}), so one whose text is mostly escapes is skipped here, not refused by the server.
   */
  fileBytes: 2.75 * 1024 * 1024,
  /** All note text of one import, in bytes: inside zips this is checked on the declared sizes first. */
  totalBytes: 64 * 1024 * 1024,
  /** One zip as picked; only its notes are inflated, so it may also hold pictures and the like. */
  archiveBytes: 256 * 1024 * 1024,
} as const;

export type SkipReason = 'not-markdown' | 'too-large' | 'unreadable';

export interface ImportFile {
  name: string;
  bytes: Uint8Array;
}

export interface ImportResult {
  notes: NoteBody[];
  /** The file each note came from (`zip/name` inside a zip), in the same order: for naming it later. */
  sources: string[];
  skipped: { name: string; reason: SkipReason }[];
}

// ---- Export ----------------------------------------------------------------------------------

/**
 * A zip with one UTF-8 Markdown file per note: front matter (title, tags, flags, updated) and then
 * the text. Trashed notes go in `Trash/`, archived ones in `Archive/`; names are safe on Windows,
 * macOS and Linux and unique within their folder. The same notes and `now` give the same bytes.
 */
export function exportNotes(notes: readonly Note[], now = new Date()): Uint8Array<ArrayBuffer> {
  // Oldest first, so a title's first note keeps the plain name across exports.
  const ordered = [...notes].sort((a, b) => compare(a.updated, b.updated) || compare(a.id, b.id));
  const files: Zippable = {};
  const taken = new Set<string>();
  const counters = new Map<string, number>();
  for (const note of ordered) {
    const folder = note.trashed ? 'Trash/' : note.archived ? 'Archive/' : '';
    files[uniqueName(folder, fileStem(note.title), taken, counters)] = strToU8(noteFile(note));
  }
  // fflate writes into a fresh ArrayBuffer, never a shared one.
  return zipSync(files, { mtime: dosDate(now) }) as Uint8Array<ArrayBuffer>;
}

/** The download's name, `hearth-notes-YYYY-MM-DD.zip`, in the user's local date. */
export function exportFileName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `hearth-notes-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.zip`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Zip times are DOS dates (1980 to 2099 in fflate, which throws outside them). */
function dosDate(now: Date): Date {
  const year = now.getFullYear();
  if (Number.isNaN(year) || year < 1980) return new Date(1980, 0, 1);
  return year > 2099 ? new Date(2099, 11, 31) : now;
}

function noteFile(note: Note): string {
  const head = [
    '---',
    `title: ${yamlString(note.title)}`,
    `tags: [${note.tags.map(yamlString).join(', ')}]`,
    `pinned: ${note.pinned}`,
    `archived: ${note.archived}`,
    `trashed: ${note.trashed}`,
    `updated: ${yamlString(note.updated)}`,
    '---',
  ];
  return `${head.join('\n')}\n\n${note.text}`;
}

/**
 * A double-quoted scalar on one line. JSON's escapes are a subset of YAML's, so other tools read it
 * and our reader needs only JSON.parse; characters YAML forbids unescaped (C1 controls, BOM,
 * non-characters) or that YAML 1.1 treats as line breaks are escaped too.
 */
function yamlString(value: string): string {
  return JSON.stringify(value).replace(
    /[\p{Cc}\u2028\u2029\ufeff\ufffe\uffff]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// Windows ignores the extension when it reserves these, and a trailing space too.
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// Bidi controls would let a name show text in another order than it holds (a spoofing classic).
const INVISIBLE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/gu;
const NAME_CHARS = 100;
// ext4 and most Linux file systems allow 255 bytes; this leaves room for " (n)" and ".md".
const NAME_BYTES = 200;

/** A file name (without extension) for a title, safe on every common file system. */
function fileStem(title: string): string {
  const cleaned = title
    .normalize('NFC')
    .replace(INVISIBLE, ' ')
    .replace(/[/\\:*?"<>|]/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+/, '');
  let stem = '';
  let bytes = 0;
  let chars = 0;
  for (const ch of cleaned) {
    const size = ch.length === 2 ? 4 : ch.charCodeAt(0) < 0x80 ? 1 : ch.charCodeAt(0) < 0x800 ? 2 : 3;
    if (chars === NAME_CHARS || bytes + size > NAME_BYTES) break;
    stem += ch;
    bytes += size;
    chars += 1;
  }
  let end = stem.length;
  while (end > 0 && (stem[end - 1] === '.' || stem[end - 1] === ' ')) end -= 1;
  stem = stem.slice(0, end);
  if (!stem) return 'Untitled';
  return RESERVED.test(stem.split('.', 1)[0]!.trimEnd()) ? `_${stem}` : stem;
}

/** `stem.md`, else `stem (2).md`…; compared without case, as Windows and macOS do. */
function uniqueName(folder: string, stem: string, taken: Set<string>, counters: Map<string, number>): string {
  const key = (folder + stem).toLowerCase();
  // Counting on from the last number used keeps many equal titles linear.
  for (let n = counters.get(key) ?? 1; ; n++) {
    const name = `${folder}${n === 1 ? stem : `${stem} (${n})`}.md`;
    if (taken.has(name.toLowerCase())) continue;
    taken.add(name.toLowerCase());
    counters.set(key, n + 1);
    return name;
  }
}

// ---- Import ----------------------------------------------------------------------------------

interface ImportState extends ImportResult {
  files: number;
  budget: number;
}

/**
 * Notes from picked files: `.md`, `.markdown` and `.txt` files, and `.zip` archives of them (zips
 * inside zips are not opened). Front matter written by {@link exportNotes} comes back exactly;
 * otherwise a first-line `# Heading` or the file name gives the title. Folders inside a zip mean
 * nothing. Hostile input is skipped with a reason, never thrown: see {@link IMPORT_LIMITS}.
 */
export function readImport(files: readonly ImportFile[]): ImportResult {
  const state: ImportState = {
    notes: [],
    sources: [],
    skipped: [],
    files: 0,
    budget: IMPORT_LIMITS.totalBytes,
  };
  for (const file of files) {
    const kind = kindOf(file.name);
    if (kind === 'zip') readZip(file, state);
    else if (kind === 'other') state.skipped.push({ name: file.name, reason: 'not-markdown' });
    else if (admit(file.name, file.bytes.length, state))
      addNote(file.name, baseName(file.name), file.bytes, state);
  }
  return { notes: state.notes, sources: state.sources, skipped: state.skipped };
}

function kindOf(name: string): 'note' | 'zip' | 'other' {
  const ext = /\.([^.]*)$/.exec(name)?.[1]?.toLowerCase();
  if (ext === 'md' || ext === 'markdown' || ext === 'txt') return 'note';
  return ext === 'zip' ? 'zip' : 'other';
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** Counts a note file against the limits before it is read; false (and a skip) when past them. */
function admit(name: string, size: number, state: ImportState): boolean {
  state.files += 1;
  if (state.files > IMPORT_LIMITS.files || size > IMPORT_LIMITS.fileBytes || size > state.budget) {
    state.skipped.push({ name, reason: 'too-large' });
    return false;
  }
  state.budget -= size;
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function addNote(name: string, base: string, bytes: Uint8Array, state: ImportState): void {
  let text: string;
  try {
    text = utf8.decode(bytes); // drops a leading BOM
  } catch {
    state.skipped.push({ name, reason: 'unreadable' });
    return;
  }
  const stem = base.slice(0, base.lastIndexOf('.')).normalize('NFC'); // macOS hands out NFD names
  const note = parseNote(text.replace(/\r\n?/g, '\n'), stem);
  if (!sealedFits(note)) {
    state.skipped.push({ name, reason: 'too-large' });
    return;
  }
  state.notes.push(note);
  state.sources.push(name);
}

const utf8Encoder = new TextEncoder();

/**
 * Whether the note, sealed, fits the server's limit (NOTE_JSON_BYTES). The body holds exactly the
 * fields sealBody (notes.model.ts) seals for a note without attachments, so this is its JSON.
 */
function sealedFits(note: NoteBody): boolean {
  const json = JSON.stringify(note);
  // UTF-8 has at least one byte per UTF-16 unit: most notes are decided without encoding them.
  if (json.length > NOTE_JSON_BYTES) return false;
  return json.length * 3 <= NOTE_JSON_BYTES || utf8Encoder.encode(json).length <= NOTE_JSON_BYTES;
}

function parseNote(text: string, stem: string): NoteBody {
  const body = emptyBody();
  const front = splitFrontMatter(text);
  let title: string | undefined;
  let rest = text;
  if (front) {
    const { meta } = front;
    rest = front.rest;
    const value = meta.get('title');
    if (typeof value === 'string') title = value;
    const tags = meta.get('tags') ?? [];
    body.tags = typeof tags === 'string' ? splitList(tags) : tags;
    body.pinned = isTrue(meta.get('pinned'));
    body.archived = isTrue(meta.get('archived'));
    body.trashed = isTrue(meta.get('trashed'));
  }
  if (title === undefined) {
    const found = heading(rest);
    if (found) [title, rest] = found;
  }
  return { ...body, title: title ?? stem, text: rest };
}

const isTrue = (v: unknown) => typeof v === 'string' && /^(true|yes|on)$/i.test(v);

/** A first line `# Title` (closing hashes allowed, as in CommonMark) and the text after it. */
function heading(text: string): [string, string] | null {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (!/^#[ \t]/.test(first)) return null;
  let title = first.slice(2).trim();
  // A loop, not /#+$/: a long run of hashes would make that regex quadratic.
  let end = title.length;
  while (end > 0 && title[end - 1] === '#') end -= 1;
  if (end === 0 || title[end - 1] === ' ' || title[end - 1] === '\t') title = title.slice(0, end).trim();
  if (!title) return null;
  return [title, nl < 0 ? '' : text.slice(nl + 1).replace(/^\n+/, '')];
}

type Meta = Map<string, string | string[]>;

/** Front matter between `---` lines at the very start, and the text after one blank line. */
function splitFrontMatter(text: string): { meta: Meta; rest: string } | null {
  if (!text.startsWith('---\n')) return null;
  const lines: string[] = [];
  for (let at = 4; ;) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl);
    const fence = line.trimEnd();
    if (fence === '---' || fence === '...') {
      const meta = parseMeta(lines);
      if (!meta) return null;
      const rest = nl < 0 ? '' : text.slice(nl + 1);
      return { meta, rest: rest.startsWith('\n') ? rest.slice(1) : rest };
    }
    if (nl < 0) return null;
    lines.push(line);
    at = nl + 1;
  }
}

/**
 * The YAML this app needs: `key: scalar`, `key: [flow, list]` and `key:` with `- item` lines.
 * Nested values are skipped; any other top-level line means this was not front matter at all.
 * No regex here can backtrack over a long line: hostile files get linear work.
 */
function parseMeta(lines: readonly string[]): Meta | null {
  const meta: Meta = new Map();
  let list: string[] | null = null;
  for (const line of lines) {
    if (!line.trim() || line.startsWith('#')) continue;
    const item = /^[ \t]*-(?:[ \t]+(.*))?$/.exec(line);
    if (item && list) {
      const value = scalar((item[1] ?? '').trim());
      if (value) list.push(value);
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const pair = /^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(.*))?$/.exec(line);
    if (!pair) return null;
    const value = (pair[2] ?? '').trim();
    list = value ? null : [];
    meta.set(pair[1]!.toLowerCase(), list ?? (value.startsWith('[') ? flowList(value) : scalar(value)));
  }
  return meta;
}

function scalar(value: string): string {
  if (value.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'string') return parsed;
    } catch {
      // YAML escapes JSON lacks (\x, \e…): keep the text between the quotes as it is
    }
    return value.slice(1, value.length > 1 && value.endsWith('"') ? -1 : undefined);
  }
  if (value.startsWith("'")) {
    return value.slice(1, value.length > 1 && value.endsWith("'") ? -1 : undefined).replaceAll("''", "'");
  }
  const comment = value.search(/[ \t]#/);
  return (comment < 0 ? value : value.slice(0, comment)).trim();
}

function flowList(value: string): string[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed))
      return parsed.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
  } catch {
    // plain YAML items such as [a, b]
  }
  return splitList(value.replace(/^\[/, '').replace(/\]$/, ''));
}

const splitList = (value: string) =>
  value
    .split(',')
    .map((v) => scalar(v.trim()))
    .filter(Boolean);

// ---- Zips ------------------------------------------------------------------------------------

function readZip(file: ImportFile, state: ImportState): void {
  const skip = (name: string, reason: SkipReason): void => void state.skipped.push({ name, reason });
  if (file.bytes.length > IMPORT_LIMITS.archiveBytes) return skip(file.name, 'too-large');
  let entries: ZipEntry[];
  try {
    // Throws for a zip whose entries overlap too (zip.read.ts): a crafted one, skipped as a whole.
    entries = listZip(file.bytes, IMPORT_LIMITS.files);
  } catch {
    return skip(file.name, 'unreadable');
  }
  if (entries.length > IMPORT_LIMITS.files) return skip(file.name, 'too-large');
  const wanted = entries.filter((e) => !e.path.endsWith('/') && !isClutter(e.path));
  const declared = wanted
    .filter((e) => kindOf(e.path) === 'note' && e.size <= IMPORT_LIMITS.fileBytes)
    .reduce((sum, e) => sum + e.size, 0);
  if (declared > state.budget) return skip(file.name, 'too-large');
  for (const entry of wanted) {
    const base = baseName(entry.path);
    const name = `${file.name}/${base}`;
    if (kindOf(base) !== 'note') skip(name, 'not-markdown');
    else if (admit(name, entry.size, state)) {
      const bytes = entryBytes(file.bytes, entry);
      if (bytes) addNote(name, base, bytes, state);
      else skip(name, 'unreadable');
    }
  }
}

/** Files an archiver adds by itself (macOS `__MACOSX/`, `._x`, `.DS_Store`): not the user's notes. */
function isClutter(path: string): boolean {
  return path.startsWith('__MACOSX/') || baseName(path).startsWith('.');
}
