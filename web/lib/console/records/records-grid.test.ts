import PocketBase, { BaseAuthStore, type RecordSubscription } from 'pocketbase';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { RecordsGrid } from './records-grid.svelte';

// The real SDK (its request keys and auto-cancellation are what is under test) over a fake fetch.
const { pb } = vi.hoisted(() => ({ pb: { current: null as PocketBase | null } }));
vi.mock('../client', () => ({ consoleApi: () => pb.current! }));

/** Answers like the records API, a tick later, and fails as fetch does when aborted. */
function fakeFetch(url: string | URL, init?: RequestInit): Promise<Response> {
  const path = new URL(url).pathname;
  const body = path.endsWith('/records')
    ? { page: 1, perPage: 1, totalItems: 0, totalPages: 0, items: [] }
    : { id: path.split('/').pop(), name: path.split('/').pop(), type: 'base', fields: [] };
  return new Promise((resolve, reject) => {
    const abort = () => reject(new DOMException('The operation was aborted.', 'AbortError'));
    if (init?.signal?.aborted) return abort();
    init?.signal?.addEventListener('abort', abort);
    setTimeout(() => resolve(Response.json(body)), 0);
  });
}

let fetchMock: ReturnType<typeof vi.fn<typeof fakeFetch>>;
beforeEach(() => {
  pb.current = new PocketBase('http://hearth.test', new BaseAuthStore());
  fetchMock = vi.fn(fakeFetch);
  vi.stubGlobal('fetch', fetchMock);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const pageLoads = () => fetchMock.mock.calls.filter(([url]) => String(url).includes('skipTotal')).length;

describe('RecordsGrid', () => {
  // Regression: every grid sent its page with one request key, so refreshing the grid just left
  // cancelled the next collection's first page, which then showed "failed".
  test("a refresh of one grid does not cancel another grid's first page", async () => {
    const left = new RecordsGrid('posts');
    await left.start();
    const next = new RecordsGrid('users');
    const starting = next.start();
    const refreshing = left.refresh();
    await Promise.all([starting, refreshing]);
    expect(next.phase).toBe('ready');
    expect(next.failure).toBeNull();
  });

  // Regression: an event that arrived after the grid stopped watching still reloaded it.
  test('ignores realtime events once it has stopped watching', async () => {
    const grid = new RecordsGrid('posts');
    await grid.start();
    let deliver: ((e: RecordSubscription) => void) | undefined;
    vi.spyOn(pb.current!.collection('posts'), 'subscribe').mockImplementation((_topic, callback) => {
      deliver = callback;
      return Promise.resolve(() => Promise.resolve());
    });
    vi.useFakeTimers();
    const stop = grid.watch();
    await vi.advanceTimersByTimeAsync(0);
    expect(grid.live).toBe(true);

    const before = pageLoads();
    deliver!({ action: 'update', record: { id: 'a', collectionId: 'posts', collectionName: 'posts' } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(pageLoads()).toBe(before + 1);

    stop();
    deliver!({ action: 'update', record: { id: 'a', collectionId: 'posts', collectionName: 'posts' } });
    await vi.advanceTimersByTimeAsync(1000);
    expect(pageLoads()).toBe(before + 1);
  });
});
