import { parseDateTime } from './records/date';

/**
 * Times as the server writes them: UTC text, `2026-11-22 14:00:00.000Z` (PocketBase's format), shown
 * in the viewer's language and time zone.
 */

/** The scheduler's "no next run" (a schedule that cannot be read parks its job there). */
const FAR_FUTURE_YEAR = 9999;

/** The instant of a server time, or null when the text is empty, not a time, or the "never" marker. */
export function parseServerTime(text: string | null | undefined): Date | null {
  const date = parseDateTime(text);
  return date && date.getUTCFullYear() < FAR_FUTURE_YEAR ? date : null;
}

/** A server time in the viewer's language (and zone, unless `timeZone`); '' when there is none. */
export function formatServerTime(text: string | null | undefined, lang: string, timeZone?: string): string {
  const date = parseServerTime(text);
  if (!date) return '';
  return new Intl.DateTimeFormat(lang, {
    dateStyle: 'medium',
    timeStyle: 'medium',
    ...(timeZone ? { timeZone } : {}),
  }).format(date);
}

/** ISO 8601 for `<time datetime>`, or undefined when the text is no time. */
export function isoServerTime(text: string | null | undefined): string | undefined {
  return parseServerTime(text)?.toISOString();
}

/** How long from `started` to `finished`, `1.2 s` / `350 ms` / `3 min`; '' when either is missing. */
export function formatElapsed(started: string, finished: string, lang: string): string {
  const from = parseServerTime(started);
  const to = parseServerTime(finished);
  if (!from || !to) return '';
  const ms = Math.max(0, to.getTime() - from.getTime());
  const [value, unit, digits] =
    ms < 1000
      ? [ms, 'millisecond', 0]
      : ms < 60_000
        ? [ms / 1000, 'second', ms < 10_000 ? 1 : 0]
        : ms < 3_600_000
          ? [ms / 60_000, 'minute', 1]
          : [ms / 3_600_000, 'hour', 1];
  return new Intl.NumberFormat(lang, {
    style: 'unit',
    unit,
    unitDisplay: 'short',
    maximumFractionDigits: digits,
  }).format(value);
}
