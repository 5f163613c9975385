import type { SeenStorage } from './seen-versions';

/**
 * For this folder's tests, never imported by the app: a browser storage in memory, its entries
 * readable through `data`.
 */
export function memoryStorage(
  initial: Record<string, string> = {},
): SeenStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}
