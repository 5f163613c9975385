/** PocketBase's datetime text: `2006-01-02 15:04:05.000Z` (UTC, space instead of T). */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ');
}
