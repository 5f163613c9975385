import { describe, expect, test, vi } from 'vitest';
import { FILE_TOKEN_MAX_AGE_MS, FileTokenCache } from './file-token';

function setup() {
  let now = 1_000_000;
  let issued = 0;
  const fetch = vi.fn(() => Promise.resolve(`t${++issued}`));
  const cache = new FileTokenCache(fetch, { now: () => now });
  return { cache, fetch, advance: (ms: number) => (now += ms) };
}

describe('FileTokenCache', () => {
  test('reuses a young token', async () => {
    const { cache, fetch, advance } = setup();
    expect(cache.fresh).toBeNull();
    expect(await cache.get()).toBe('t1');
    advance(FILE_TOKEN_MAX_AGE_MS - 1);
    expect(cache.fresh).toBe('t1');
    expect(await cache.get()).toBe('t1');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  // Regression: the editor fetched one token per opening, and its links died after 180 s.
  test('fetches a new token once the old one is two minutes old', async () => {
    const { cache, fetch, advance } = setup();
    await cache.get();
    advance(FILE_TOKEN_MAX_AGE_MS);
    expect(cache.fresh).toBeNull();
    expect(await cache.get()).toBe('t2');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  test('asks once for callers at the same time, and again after a failure', async () => {
    const { cache, fetch } = setup();
    fetch.mockRejectedValueOnce(new Error('offline'));
    await expect(cache.get()).rejects.toThrow('offline');
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a, b]).toEqual(['t1', 't1']);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
