/**
 * PocketBase keeps datetimes as UTC text, `2024-01-02 03:04:05.678Z`; <input type="datetime-local">
 * shows and gives local wall-clock time without a zone, `2024-01-02T04:04:05`. These convert between
 * the two in the browser's time zone.
 */

const PB_DATETIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/;

/** The instant a PocketBase datetime text names, or null when it is empty or not a datetime. */
export function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = PB_DATETIME.exec(value.trim());
  if (!m) return null;
  const date = new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A PocketBase datetime as a datetime-local value (seconds precision), or '' when there is none. */
export function toLocalInput(value: unknown): string {
  const d = parseDateTime(value);
  if (!d) return '';
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

const LOCAL_INPUT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;

/** A datetime-local value (local time) as PocketBase datetime text in UTC, or '' when it is not one. */
export function fromLocalInput(local: string): string {
  if (!LOCAL_INPUT.test(local)) return '';
  // Without a zone, ECMAScript reads a date-time form as local time, which is what the input shows.
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : formatDateTime(d);
}

/** PocketBase's datetime text for an instant: `2006-01-02 15:04:05.000Z`. */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ');
}

/** The browser's offset from UTC at an instant, as `UTC+01:00`, for a hint beside a date input. */
export function utcOffsetLabel(at: Date = new Date()): string {
  const minutes = -at.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
