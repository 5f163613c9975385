import { ClientResponseError, type CollectionModel, type RecordModel } from 'pocketbase';
import { SvelteSet } from 'svelte/reactivity';
import { consoleApi } from '../client';
import { loadHiddenColumns, saveHiddenColumns, toggleColumn } from './columns';
import { clampPage, DEFAULT_PAGE_SIZE, DEFAULT_SORT } from './grid';

/** What the grid shows: one page of one sort and filter. */
export interface GridQuery {
  page: number;
  perPage: number;
  sort: string;
  filter: string;
}

/** How long the grid waits after a realtime event before it reloads, so a burst costs one reload. */
const REFRESH_DELAY_MS = 300;
/** Deletes in flight at once during a bulk delete. */
const DELETE_WORKERS = 4;

const isAbort = (err: unknown) => err instanceof ClientResponseError && err.isAbort;

/** Numbers the grids made, so no two share an SDK request key. */
let grids = 0;

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * The records grid of one collection as Svelte state: its schema, the page on screen, the count, the
 * selection, the shown columns, and live refresh. The page is asked for with skipTotal and counted in
 * a second request at the same time, so rows appear without waiting for a COUNT over a big table.
 */
export class RecordsGrid {
  /** The route's collection id or name. */
  readonly param: string;
  collection = $state.raw<CollectionModel | null>(null);
  items = $state.raw<RecordModel[]>([]);
  query = $state.raw<GridQuery>({ page: 1, perPage: DEFAULT_PAGE_SIZE, sort: DEFAULT_SORT, filter: '' });
  /** Records matching the filter; null while they are being counted. */
  total = $state<number | null>(null);
  /** `loading` until the first page is on screen, `failed` when it could not be. */
  phase = $state<'loading' | 'ready' | 'failed'>('loading');
  /** Why the last load failed (the server is unreachable, the collection is gone…). */
  failure = $state.raw<unknown>(null);
  /** Why the filter typed last was refused (the grid keeps the last good one). */
  filterFailure = $state.raw<unknown>(null);
  /** A load the person asked for is running. */
  busy = $state(false);
  /** When a realtime event last refreshed the page (ms since the epoch). */
  updatedAt = $state<number | null>(null);
  /** Subscribed to the collection's realtime events. */
  live = $state(false);
  hidden = $state<string[]>([]);
  readonly selected = new SvelteSet<string>();
  /** Progress of a bulk delete. */
  deleting = $state<{ done: number; total: number } | null>(null);

  /** The query of the last load asked for, which a retry asks for again. */
  #asked: GridQuery | null = null;
  #seq = 0;
  #countSeq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set by the function `watch()` returns: late realtime events are ignored from then on. */
  #stopped = false;
  /**
   * The SDK cancels a pending request when another with the same key is sent. Keys of their own
   * keep a grid from cancelling another's: with one key for every grid, a realtime refresh of the
   * grid just left cancelled the next collection's first page, which then showed "failed".
   */
  readonly #pageKey: string;
  readonly #countKey: string;

  constructor(param: string) {
    this.param = param;
    const key = `${param}:${++grids}`;
    this.#pageKey = `console-records-page:${key}`;
    this.#countKey = `console-records-count:${key}`;
  }

  get isView(): boolean {
    return this.collection?.type === 'view';
  }

  /** Loads the schema and the first page together. */
  async start(): Promise<void> {
    this.phase = 'loading';
    this.failure = null;
    const [schema, page] = await Promise.allSettled([
      consoleApi().collections.getOne(this.param, { requestKey: null }),
      this.load({}, { recount: true }),
    ]);
    if (schema.status === 'rejected') {
      this.failure = schema.reason;
      this.phase = 'failed';
      return;
    }
    this.collection = schema.value;
    this.hidden = loadHiddenColumns(storage(), schema.value.id);
    this.phase = page.status === 'fulfilled' && page.value ? 'ready' : 'failed';
  }

  /**
   * Shows the page `next` describes. Resolves to whether it is now on screen: a load overtaken by a
   * newer one, or refused, leaves the grid as it was. A refused new filter sets `filterFailure`.
   */
  async load(
    next: Partial<GridQuery>,
    options: { quiet?: boolean; recount?: boolean } = {},
  ): Promise<boolean> {
    const previous = this.query;
    const query = { ...previous, ...next };
    const filterChanged = query.filter !== previous.filter;
    const seq = ++this.#seq;
    this.#asked = query;
    if (!options.quiet) this.busy = true;
    if (filterChanged || options.recount || this.total === null) this.#count(query.filter, filterChanged);
    try {
      const result = await consoleApi().collection(this.param).getList(query.page, query.perPage, {
        sort: query.sort,
        filter: query.filter,
        skipTotal: true,
        requestKey: this.#pageKey,
      });
      if (seq !== this.#seq) return false;
      const moved = (['page', 'perPage', 'sort', 'filter'] as const).some((k) => query[k] !== previous[k]);
      this.items = result.items;
      this.query = query;
      this.failure = null;
      this.filterFailure = null;
      if (moved) this.selected.clear();
      else
        for (const id of [...this.selected])
          if (!result.items.some((r) => r.id === id)) this.selected.delete(id);
      if (this.phase !== 'ready' && this.collection) this.phase = 'ready';
      return true;
    } catch (err) {
      if (seq !== this.#seq || isAbort(err)) return false;
      if (filterChanged && err instanceof ClientResponseError && err.status === 400) {
        this.filterFailure = err;
        this.#asked = previous;
        // The count of the refused filter failed too; count the filter still shown.
        this.#count(previous.filter, false);
      } else this.failure = err;
      return false;
    } finally {
      if (seq === this.#seq) this.busy = false;
    }
  }

  /**
   * Counts the records matching `filter` (a one-row page without skipTotal: the server counts). A new
   * filter forgets the old count at once; a recount keeps it on screen until the new one arrives.
   */
  #count(filter: string, reset: boolean): void {
    const seq = ++this.#countSeq;
    if (reset) this.total = null;
    consoleApi()
      .collection(this.param)
      .getList(1, 1, { filter, fields: 'id', requestKey: this.#countKey })
      .then((result) => {
        if (seq === this.#countSeq) this.total = result.totalItems;
      })
      .catch(() => {
        // Without a count the pager guesses from full pages; the page itself says what went wrong.
      });
  }

  /** Reloads the page on screen (after a save, a delete, or someone else's change). */
  async refresh(quiet = true): Promise<boolean> {
    const shown = await this.load({}, { quiet, recount: true });
    if (shown && this.items.length === 0 && this.query.page > 1) {
      return this.load(
        { page: clampPage(this.query.page - 1, this.query.perPage, this.total ?? 0) },
        { quiet },
      );
    }
    return shown;
  }

  /** Asks again for the page the last failed load was after (the page size or sort chosen, say). */
  async retry(): Promise<boolean> {
    return this.load(this.#asked ?? {}, { recount: true });
  }

  /**
   * Follows the collection's realtime events, reloading the page (debounced) when records change
   * elsewhere. Returns the function that stops it; call it when the page goes away.
   */
  watch(): () => void {
    let stopped = false;
    this.#stopped = false;
    let unsubscribe: (() => Promise<void>) | undefined;
    const key = this.collection?.id ?? this.param;
    consoleApi()
      .collection(key)
      // Events can still arrive after stopping, until the unsubscribe has reached the server.
      .subscribe('*', () => {
        if (!stopped) this.#schedule();
      })
      .then((unsub) => {
        if (stopped) void unsub();
        else {
          unsubscribe = unsub;
          this.live = true;
        }
      })
      .catch(() => {
        this.live = false;
      });
    return () => {
      stopped = true;
      this.#stopped = true;
      this.live = false;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void unsubscribe?.().catch(() => undefined);
    };
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      // A load the person asked for wins; the event is handled after it.
      if (this.busy || this.deleting) {
        this.#schedule();
        return;
      }
      void this.refresh().then((shown) => {
        if (shown) this.updatedAt = Date.now();
      });
    }, REFRESH_DELAY_MS);
  }

  setColumnVisible(name: string, visible: boolean): void {
    this.hidden = toggleColumn(this.hidden, name, visible);
    if (this.collection) saveHiddenColumns(storage(), this.collection.id, this.hidden);
  }

  /** Selects every record on the page, or none. */
  selectAll(on: boolean): void {
    if (on) for (const r of this.items) this.selected.add(r.id);
    else this.selected.clear();
  }

  /**
   * Deletes the selected records, a few at a time (the batch API is off unless enabled in the
   * settings), updating `deleting` as they go. Resolves to how many were deleted and what failed.
   */
  async deleteSelected(): Promise<{ deleted: number; failures: unknown[] }> {
    const ids = [...this.selected];
    const records = consoleApi().collection(this.param);
    const failures: unknown[] = [];
    let deleted = 0;
    let next = 0;
    this.deleting = { done: 0, total: ids.length };
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          await records.delete(id, { requestKey: null });
          deleted++;
          this.selected.delete(id);
        } catch (err) {
          failures.push(err);
        }
        this.deleting = { done: deleted + failures.length, total: ids.length };
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(DELETE_WORKERS, ids.length) }, worker));
    } finally {
      this.deleting = null;
    }
    await this.refresh(false);
    return { deleted, failures };
  }
}
