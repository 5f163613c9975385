import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../core/config';
import { createLogger } from '../core/logger';
import { DATABASE_FILE, openStores, type Stores } from '../main';
import { CliError } from './errors';

/**
 * Opens the data folder for a one-shot command and closes it afterwards. Pending migrations are
 * applied first, as `hearth serve` would; SQLite's locking makes this safe while a server runs.
 * Commands that only read pass `mustExist`, so a mistyped --dir is an error, not a new empty folder.
 */
export async function withStores<T>(
  dirFlag: string | undefined,
  fn: (stores: Stores) => T | Promise<T>,
  options: { mustExist?: boolean } = {},
): Promise<T> {
  const dir = resolveDataDir(dirFlag);
  if (options.mustExist && !existsSync(join(dir, DATABASE_FILE))) {
    throw new CliError(`There is no Hearth data in ${dir} (start Hearth once, or pass --dir).`);
  }
  const stores = openStores(dir, createLogger({ dev: true, level: 'warn' }));
  try {
    return await fn(stores);
  } finally {
    await stores.bus.close();
    stores.db.close();
  }
}
