/**
 * The logs chart's figures. GET /api/logs/stats answers only the hours that have entries (`[{total,
 * date: "2026-11-22 08:00:00.000Z"}]`); the chart needs every hour of the period, the empty ones as
 * zero, with the error count beside the total.
 */
export interface HourlyStat {
  total: number;
  date: string;
}

export interface HourBucket {
  /** Start of the hour, ms since the epoch (UTC). */
  start: number;
  total: number;
  errors: number;
}

export const HOUR_MS = 3_600_000;

/**
 * A PocketBase datetime (`2026-11-22 08:00:00.000Z`, a space between date and time) or ISO 8601, as
 * ms since the epoch; NaN when it is neither. The space is replaced first: Date.parse of anything but
 * ISO 8601 is left to each browser.
 */
export function parseLogDate(text: string): number {
  const iso = /^\d{4}-\d{2}-\d{2} /.test(text) ? text.replace(' ', 'T') : text;
  return Date.parse(iso);
}

function byHour(stats: HourlyStat[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of stats) {
    const t = parseLogDate(s.date);
    if (!Number.isFinite(t) || !Number.isFinite(s.total)) continue;
    const hour = Math.floor(t / HOUR_MS) * HOUR_MS;
    out.set(hour, (out.get(hour) ?? 0) + s.total);
  }
  return out;
}

export interface FillOptions {
  /** Extend the period to this instant's hour (now), so quiet recent hours show as quiet. */
  until?: number;
  /** Keep at most this many hours, the latest; a guard against a stray date years back. */
  maxHours?: number;
  /** Show at least this many hours, ending at the last, so one busy hour is not one wide bar. */
  minHours?: number;
}

/** Every hour from the first with entries to the last (or `until`), with totals and errors. */
export function fillHourlyBuckets(
  totals: HourlyStat[],
  errors: HourlyStat[],
  options: FillOptions = {},
): HourBucket[] {
  const total = byHour(totals);
  const failed = byHour(errors);
  const hours = [...total.keys(), ...failed.keys()];
  if (hours.length === 0) return [];
  let first = Math.min(...hours);
  let last = Math.max(...hours);
  if (options.until !== undefined && Number.isFinite(options.until))
    last = Math.max(last, Math.floor(options.until / HOUR_MS) * HOUR_MS);
  const maxHours = options.maxHours ?? 24 * 400;
  first = Math.max(first, last - (maxHours - 1) * HOUR_MS);
  if (options.minHours !== undefined) first = Math.min(first, last - (options.minHours - 1) * HOUR_MS);
  const buckets: HourBucket[] = [];
  for (let start = first; start <= last; start += HOUR_MS) {
    buckets.push({ start, total: total.get(start) ?? 0, errors: failed.get(start) ?? 0 });
  }
  return buckets;
}

/** A round number at or above `max` for the chart's scale (1, 2, 5 × 10ⁿ). */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}
