import { formatDateTime } from '../time';

/**
 * PocketBase's datetime macros (tools/search/identifier_macros.go), all in UTC: dates as its
 * datetime text `2006-01-02 15:04:05.000Z` (what date columns hold, so text comparison orders
 * them), the parts as numbers (`@weekday` 0 = Sunday, `@month` 1–12).
 */

const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0): Date =>
  new Date(Date.UTC(y, m, d, h, min, s, ms));

const MACROS: Record<string, (now: Date) => string | number> = {
  '@now': (now) => formatDateTime(now),
  '@yesterday': (now) => formatDateTime(new Date(now.getTime() - 86_400_000)),
  '@tomorrow': (now) => formatDateTime(new Date(now.getTime() + 86_400_000)),
  '@second': (now) => now.getUTCSeconds(),
  '@minute': (now) => now.getUTCMinutes(),
  '@hour': (now) => now.getUTCHours(),
  '@day': (now) => now.getUTCDate(),
  '@month': (now) => now.getUTCMonth() + 1,
  '@weekday': (now) => now.getUTCDay(),
  '@year': (now) => now.getUTCFullYear(),
  '@todayStart': (now) => formatDateTime(utc(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())),
  '@todayEnd': (now) =>
    formatDateTime(utc(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 23, 59, 59, 999)),
  '@monthStart': (now) => formatDateTime(utc(now.getUTCFullYear(), now.getUTCMonth(), 1)),
  // Day 0 of the next month is the last day of this one.
  '@monthEnd': (now) => formatDateTime(utc(now.getUTCFullYear(), now.getUTCMonth() + 1, 0, 23, 59, 59, 999)),
  '@yearStart': (now) => formatDateTime(utc(now.getUTCFullYear(), 0, 1)),
  '@yearEnd': (now) => formatDateTime(utc(now.getUTCFullYear(), 11, 31, 23, 59, 59, 999)),
};

/** The macro's value at `now`, or undefined when `name` is not a macro (names are case-sensitive). */
export function macroValue(name: string, now: Date = new Date()): string | number | undefined {
  return Object.hasOwn(MACROS, name) ? MACROS[name]!(now) : undefined;
}
