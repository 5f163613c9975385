import type { CollectionField } from 'pocketbase';
import { parseDateTime } from './date';

/** The words a cell needs that are not data: booleans are said in the reader's language. */
export interface CellWords {
  yes: string;
  no: string;
}

/** Cells show at most this many characters; the full value is in the editor. */
export const CELL_MAX = 80;

/** Cuts text to `max` characters (whole code points) with an ellipsis. */
export function truncate(text: string, max = CELL_MAX): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/** HTML as one line of plain text (for editor fields). */
function plainText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A stored datetime as `2024-01-02 03:04:05 UTC` (the zone the filter grammar compares in). */
function dateText(value: unknown): string {
  const d = parseDateTime(value);
  return d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : String(value ?? '');
}

function listText(value: unknown): string {
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  return value === null || value === undefined ? '' : String(value);
}

/**
 * One line of text for a value in a grid cell: empty for no value, dates in UTC, lists joined,
 * JSON compact, editor HTML as plain text, and everything cut to `max` characters.
 */
export function cellText(field: CollectionField, value: unknown, words: CellWords, max = CELL_MAX): string {
  if (value === null || value === undefined) return '';
  let text: string;
  switch (field.type) {
    case 'bool':
      text = value === true ? words.yes : words.no;
      break;
    case 'date':
    case 'autodate':
      text = value === '' ? '' : dateText(value);
      break;
    case 'json':
      text = JSON.stringify(value) ?? '';
      break;
    case 'editor':
      text = plainText(String(value));
      break;
    case 'select':
    case 'relation':
    case 'file':
      text = listText(value);
      break;
    default:
      text = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return truncate(text.replace(/[\r\n\t]+/g, ' '), max);
}

/** A byte count for people: `512 B`, `1.5 KB`, `5 MB` (powers of 1024, as PocketBase's limits). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 || value >= 10 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
  return `${text} ${units[unit]}`;
}
