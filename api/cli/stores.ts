import { resolve } from 'node:path';
import { createLogger } from '../core/logger';
import { openStores, type Stores } from '../main';

/**
 * Opens the data folder for a one-shot command and closes it afterwards. Pending migrations are
 * applied first, as `hearth serve` would; SQLite's locking makes this safe while a server runs.
 */
export async function withStores<T>(dir: string, fn: (stores: Stores) => T | Promise<T>): Promise<T> {
  const stores = openStores(resolve(dir), createLogger({ dev: true, level: 'warn' }));
  try {
    return await fn(stores);
  } finally {
    await stores.bus.close();
    stores.db.close();
  }
}
