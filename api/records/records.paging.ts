import { ApiError } from '../core/errors';

/** List paging as PocketBase's search provider reads it (tools/search/provider.go). */
export interface Paging {
  page: number;
  perPage: number;
  skipTotal: boolean;
}

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;

function integer(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[+-]?\d{1,15}$/.test(raw.trim())) {
    throw ApiError.badRequest(`Invalid ${name} parameter: must be a whole number.`);
  }
  return Number(raw);
}

/** page < 1 → 1; perPage < 1 → 30, above 1000 → 1000; text that is not a number → 400. */
export function parsePaging(query: Record<string, string | undefined>): Paging {
  const page = integer('page', query['page']) ?? 1;
  const perPage = integer('perPage', query['perPage']) ?? DEFAULT_PER_PAGE;
  const skip = query['skipTotal'] ?? '';
  // Go's strconv.ParseBool, which PocketBase uses: anything else is a 400.
  if (
    skip !== '' &&
    !['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(skip)
  ) {
    throw ApiError.badRequest('Invalid skipTotal parameter: must be true or false.');
  }
  return {
    page: Math.max(1, page),
    perPage: perPage < 1 ? DEFAULT_PER_PAGE : Math.min(perPage, MAX_PER_PAGE),
    skipTotal: ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(skip),
  };
}

export interface ListResult<T> {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: T[];
}

/** The list page for items already in memory (collections); records page in SQL. */
export function paginate<T>(all: T[], paging: Paging): ListResult<T> {
  const start = (paging.page - 1) * paging.perPage;
  return result(all.slice(start, start + paging.perPage), all.length, paging);
}

/** The response body; with skipTotal both totals are -1, as PocketBase answers. */
export function result<T>(items: T[], total: number, paging: Paging): ListResult<T> {
  return {
    page: paging.page,
    perPage: paging.perPage,
    totalItems: paging.skipTotal ? -1 : total,
    totalPages: paging.skipTotal ? -1 : Math.ceil(total / paging.perPage),
    items,
  };
}
