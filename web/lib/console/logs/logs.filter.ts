/**
 * Filters for PocketBase's logs API (GET /api/logs?filter=…), built from the console's controls. The
 * grammar is PocketBase's; the user's own text is passed through as written and the server answers
 * 400 with its reason when it does not parse.
 */

/** Requests that failed: what "Errors only" and the chart's error series count. */
export const ERRORS_FILTER = 'data.status >= 400';

/** Log levels as PocketBase writes them (Go's slog levels). */
export const LOG_LEVELS = [
  { value: -4, name: 'debug' },
  { value: 0, name: 'info' },
  { value: 4, name: 'warn' },
  { value: 8, name: 'error' },
] as const;

export type LogLevelName = (typeof LOG_LEVELS)[number]['name'];

/**
 * Joins filters with `&&`, each in parentheses so a user's `a || b` keeps its meaning; empty parts
 * are left out, and a single part is returned as it is. The closing parenthesis goes on a line of
 * its own: the grammar has `//` line comments (api/lib/filter/filter.lex.ts), and one at the end of
 * a user's filter would otherwise swallow it.
 */
export function combineFilters(...parts: (string | null | undefined | false)[]): string {
  const kept = parts.map((p) => (p || '').trim()).filter((p) => p !== '');
  if (kept.length <= 1) return kept[0] ?? '';
  return kept.map((p) => `(${p}\n)`).join(' && ');
}

/** `level >= n`, or '' for every level. */
export function levelFilter(min: number | null): string {
  return min === null || !Number.isFinite(min) ? '' : `level >= ${Math.trunc(min)}`;
}

/** The name of a level: the highest known level at or below it (a level between two rounds down). */
export function levelName(level: unknown): LogLevelName | null {
  const n = typeof level === 'string' && level.trim() !== '' ? Number(level) : level;
  if (typeof n !== 'number' || !Number.isFinite(n)) return null;
  let name: LogLevelName | null = null;
  for (const l of LOG_LEVELS) if (n >= l.value) name = l.name;
  return name ?? 'debug';
}
