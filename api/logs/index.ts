import { SqliteError } from 'better-sqlite3';
import { ApiError } from '../core/errors';
import { requireSuperuser, type ApiApp } from '../core/http';
import { FilterError } from '../lib/filter';
import type { Deps } from '../main';
import { parsePaging, result } from '../records/records.paging';
import { compileLogFilter, compileLogSort } from './logs.resolver';
import type { LogRow } from './logs.store';

export { requestLogger } from './logs.request';
export { LogLevel, Logs } from './logs.service';

/** A log entry as PocketBase's API answers it (core/log_model.go). */
export interface LogModel {
  id: string;
  created: string;
  data: Record<string, unknown>;
  message: string;
  level: number;
}

/**
 * PocketBase's logs API (apis/logs.go), superusers only: `GET /api/logs` (page, perPage, sort, filter,
 * skipTotal) → the list page, `GET /api/logs/stats?filter=` → `[{total, date}]` per hour, `GET
 * /api/logs/{id}` → one entry. Entries still waiting in memory are written first, so what a
 * superuser reads is current.
 */
export function register(app: ApiApp, deps: Deps): void {
  const { logs } = deps;

  app.get('/api/logs', (c) => {
    requireSuperuser(c);
    const query = c.req.query();
    const paging = parsePaging(query);
    const where = withFilterErrors(() => compileLogFilter(query['filter'] ?? ''));
    const orderBy = withFilterErrors(() => compileLogSort(query['sort'] ?? ''));
    logs.flush();
    const { page, perPage, skipTotal } = paging;
    const rows = withSqlErrors(() => logs.store.list(where, orderBy, perPage, (page - 1) * perPage));
    const total = skipTotal ? -1 : withSqlErrors(() => logs.store.count(where));
    return c.json(result(rows.map(toModel), total, paging));
  });

  // Before /:id, which would take "stats" for an id.
  app.get('/api/logs/stats', (c) => {
    requireSuperuser(c);
    const where = withFilterErrors(() => compileLogFilter(c.req.query('filter') ?? ''));
    logs.flush();
    return c.json(withSqlErrors(() => logs.store.stats(where)));
  });

  app.get('/api/logs/:id', (c) => {
    requireSuperuser(c);
    logs.flush();
    const row = logs.store.find(c.req.param('id'));
    if (!row) throw ApiError.notFound();
    return c.json(toModel(row));
  });
}

function toModel(row: LogRow): LogModel {
  return {
    id: row.id,
    created: row.created,
    data: JSON.parse(row.data) as Record<string, unknown>,
    message: row.message,
    level: row.level,
  };
}

/** A malformed filter or sort, an unknown field, a limit passed: PocketBase's 400, saying which. */
function withFilterErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FilterError) throw ApiError.badRequest(err.message);
    throw err;
  }
}

/**
 * A filter the grammar accepts may still be one SQLite refuses to run (a function given a value it
 * cannot take): that is the client's filter, a 400 as PocketBase answers it, not a 500. A busy or
 * full database keeps its own answer.
 */
function withSqlErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SqliteError && err.code === 'SQLITE_ERROR') {
      throw ApiError.badRequest('Invalid filter or sort: the logs could not be queried with it.');
    }
    throw err;
  }
}
