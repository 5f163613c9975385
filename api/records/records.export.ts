import type { Collection } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import { exportValue } from './record.values';
import type { RecordRequest } from './records.request';
import type { Row } from './records.store';

/**
 * A record as the API shows it: `collectionId`, `collectionName`, `id` and the visible fields.
 * Hidden fields are left out except for superusers, password and tokenKey always; an auth record's email only shows
 * to superusers, to the record itself, or when its emailVisibility is on.
 */
export type RecordJSON = Record<string, unknown>;

export function exportRecord(collection: Collection, row: Row, request: RecordRequest): RecordJSON {
  const out: RecordJSON = { collectionId: collection.id, collectionName: collection.name };
  const auth = request.info.auth;
  const isSelf = auth !== null && auth.collection.id === collection.id && auth.record['id'] === row['id'];
  for (const f of collection.fields) {
    if (f.type === 'password' || (collection.type === 'auth' && f.name === 'tokenKey')) continue;
    if (f.hidden && !request.isSuperuser) continue;
    if (collection.type === 'auth' && f.name === 'email' && !request.isSuperuser && !isSelf) {
      if (!(row['emailVisibility'] === 1 || row['emailVisibility'] === true)) continue;
    }
    out[f.name] = exportValue(f, row[f.name]);
  }
  return out;
}

/**
 * `?fields=`: a comma list of dot paths (`id,title,expand.author.name`), `*` for every field of a
 * level, and `:excerpt(max, ellipsis?)` to shorten a text to plain words.
 */
interface FieldsNode {
  all: boolean;
  children: Map<string, FieldsNode>;
  excerpt?: { max: number; ellipsis: boolean };
}

const EXCERPT = /^(.+):excerpt\(\s*(\d+)\s*(?:,\s*(true|false|1|0|t|f)\s*)?\)$/i;

export function parseFields(param: string): FieldsNode | null {
  if (param.trim() === '') return null;
  if (param.length > 5000) throw ApiError.badRequest('Invalid fields parameter: too long.');
  const root: FieldsNode = { all: false, children: new Map() };
  // Commas inside `:excerpt(…)` do not separate fields.
  for (const raw of param.split(/,(?![^(]*\))/)) {
    const item = raw.trim();
    if (item === '') continue;
    const m = EXCERPT.exec(item);
    const path = (m ? m[1]! : item).split('.');
    if (path.some((p) => !/^(\w+|\*)$/.test(p))) {
      throw ApiError.badRequest(`Invalid fields parameter: "${item.slice(0, 100)}" is not a field path.`);
    }
    let node = root;
    for (const [i, part] of path.entries()) {
      if (part === '*' && i === path.length - 1) {
        node.all = true;
        break;
      }
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = { all: false, children: new Map() }));
      node = child;
      if (i === path.length - 1 && m) {
        node.excerpt = {
          max: Number(m[2]),
          ellipsis: ['true', '1', 't'].includes((m[3] ?? '').toLowerCase()),
        };
      }
    }
  }
  return root;
}

/** Plain text of at most `max` characters from an HTML or text value. */
export function excerpt(value: unknown, max: number, ellipsis: boolean): string {
  const plain = String(value ?? '')
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...plain];
  if (chars.length <= max) return plain;
  return chars.slice(0, max).join('').trimEnd() + (ellipsis ? '...' : '');
}

/** Keeps only the picked fields of a record JSON (and of its expanded records), in place. */
export function pickFields(json: RecordJSON, node: FieldsNode): RecordJSON {
  const out: RecordJSON = {};
  for (const [key, value] of Object.entries(json)) {
    const child = node.children.get(key);
    if (!child && !node.all) continue;
    if (!child || (child.children.size === 0 && !child.all)) {
      out[key] = child?.excerpt ? excerpt(value, child.excerpt.max, child.excerpt.ellipsis) : value;
      continue;
    }
    out[key] = pickNested(value, child);
  }
  return out;
}

function pickNested(value: unknown, node: FieldsNode): unknown {
  if (Array.isArray(value)) return value.map((v) => pickNested(v, node));
  if (typeof value === 'object' && value !== null) return pickFields(value as RecordJSON, node);
  return value;
}
