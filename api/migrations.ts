import { collectMigrations } from './core/migrate';

/**
 * Every capability's migrations, gathered when the server is built (import.meta.glob is resolved by
 * Vite), so a built Hearth reads no migration files from disk.
 */
export const migrations = collectMigrations(import.meta.glob('./*/migrations/*.ts', { eager: true }));
