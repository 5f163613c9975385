/** Paging and sorting of the records grid: what the controls send as `page`, `perPage` and `sort`. */

export const PAGE_SIZES = [15, 30, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 30;

/** Newest first without a column to sort by: cheap on any table (the rowid is the table's order). */
export const DEFAULT_SORT = '-@rowid';

export type SortDirection = 'ascending' | 'descending' | 'none';

/** The direction `sort` orders a column in, as aria-sort says it. */
export function sortDirection(sort: string, field: string): SortDirection {
  if (sort === field) return 'ascending';
  if (sort === `-${field}`) return 'descending';
  return 'none';
}

/** Clicking a column header: ascending first, then it flips. */
export function toggleSort(sort: string, field: string): string {
  return sort === field ? `-${field}` : field;
}

/** Pages for `total` items (at least one, so an empty grid is "page 1 of 1"). */
export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, perPage)));
}

/**
 * Whether there is a next page. Without the total yet (it is counted in a second request), a full
 * page suggests there may be more.
 */
export function hasNextPage(page: number, perPage: number, total: number | null, shown: number): boolean {
  return total === null ? shown >= perPage : page < pageCount(total, perPage);
}

/** The page to show after rows went away (a delete emptied the last page). */
export function clampPage(page: number, perPage: number, total: number): number {
  return Math.min(Math.max(1, page), pageCount(total, perPage));
}
