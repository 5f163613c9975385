import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { register as registerAuth } from './auth';
import { deleteAllExpiredOtps } from './auth/accounts';
import { register as registerBackups } from './backups';
import { register as registerCollections } from './collections';
import { register as registerCron, Scheduler } from './cron';
import { CollectionsRegistry } from './collections/collections.registry';
import { SetupGate } from './auth/setup';
import { superuserCount } from './auth/superusers';
import type { BootstrapConfig } from './core/config';
import { openDatabase, type Database } from './core/db';
import { InProcessBus, type EventBus } from './core/events';
import { createApiApp, type ApiApp } from './core/http';
import { createLogger, type Logger } from './core/logger';
import { applyMigrations, type Migration } from './core/migrate';
import { SettingsStore } from './core/settings';
import { register as registerFiles } from './files';
import { FileStorage } from './files/files.storage';
import { register as registerHealth } from './health';
import { LogLevel, Logs, register as registerLogs, requestLogger } from './logs';
import { register as registerMail } from './mail';
import { register as registerMeet } from './meet';
import { register as registerNotes } from './notes';
import { register as registerRateLimits } from './ratelimit';
import { register as registerRealtime } from './realtime';
import { register as registerRecords } from './records';
import { register as registerSettings } from './settings';
import { register as registerSystem } from './system';
import { migrations as builtMigrations } from './migrations';
import { settingDefs, type HearthSettings } from './settings/registry';

/** What every capability's `register(app, deps)` receives. */
export interface Deps {
  config: BootstrapConfig;
  db: Database;
  bus: EventBus;
  settings: HearthSettings;
  logger: Logger;
  /** The collections (cached; see CollectionsRegistry). */
  collections: CollectionsRegistry;
  /** Uploaded files under `<dir>/storage`. */
  files: FileStorage;
  /** Present while the install has no superuser yet (first-run setup). */
  setupGate: SetupGate | null;
  /** The logs in `<dir>/auxiliary.db`: any capability may `logs.write(level, message, data)`. */
  logs: Logs;
  /** The migrations this build has (GET /api/hearth/migrations compares them with the database). */
  migrations: Migration[];
  /** WebSocket upgrade handlers by path (api/server.ts routes the server's `upgrade` events here). */
  upgrades: UpgradeRoutes;
  /** The job scheduler: capabilities register handlers and built-in jobs (api/cron). */
  cron: Scheduler;
}

/**
 * Takes a WebSocket upgrade request (the socket is its own from then on). To refuse one before the
 * handshake it throws an ApiError, which api/server.ts answers as PocketBase's error JSON.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Upgrade handlers by path prefix, added by capabilities (meet signaling; pad sync later). */
export class UpgradeRoutes {
  readonly #routes: { prefix: string; handler: UpgradeHandler }[] = [];

  add(prefix: string, handler: UpgradeHandler): void {
    this.#routes.push({ prefix, handler });
  }

  /** The handler whose prefix starts `path` (without its query), if any. */
  find(path: string): UpgradeHandler | undefined {
    return this.#routes.find((r) => path.startsWith(r.prefix))?.handler;
  }
}

export interface Hearth extends Deps {
  /** The Hono app behind /api/. */
  api: ApiApp;
  /** The first-run setup link, or null once a superuser exists. */
  setupLink(baseUrl: string): string | null;
  /** Flushes events and logs, checkpoints the WALs and closes the databases (see Database.close). */
  close(): Promise<{ checkpointed: boolean }>;
}

export const DATABASE_FILE = 'data.db';

/** The data folder's stores, migrated: what `hearth serve` and every data CLI command start from. */
export interface Stores {
  db: Database;
  bus: EventBus;
  settings: HearthSettings;
}

/**
 * Opens `<dir>/data.db` (refusing a corrupted file or one from a newer build), applies pending
 * migrations, and builds the event bus and settings store over it.
 */
export function openStores(dir: string, logger: Logger, migrations: Migration[] = builtMigrations): Stores {
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, DATABASE_FILE));
  try {
    for (const m of applyMigrations(db, migrations)) logger.info({ migration: m.id }, 'migration applied');
  } catch (err) {
    db.sql.close();
    throw err;
  }
  const bus = new InProcessBus({
    afterCommit: (fn) => db.afterCommit(fn),
    onError: (err, name) => logger.error({ err, event: name }, 'event subscriber failed'),
  });
  return { db, bus, settings: new SettingsStore(db, settingDefs, bus) };
}

/**
 * The composition root: bootstrap config → open db → migrate → settings and bus → register every
 * capability. The one place that wires capabilities together.
 */
export function createHearth(
  config: BootstrapConfig,
  options: { logger?: Logger; migrations?: Migration[] } = {},
): Hearth {
  const logger = options.logger ?? createLogger({ dev: config.dev });
  const { db, bus, settings } = openStores(config.dir, logger, options.migrations);
  const setupGate = superuserCount({ db }) === 0 ? new SetupGate() : null;
  const collections = new CollectionsRegistry(db);
  const files = new FileStorage(join(config.dir, 'storage')).open();
  const migrations = options.migrations ?? builtMigrations;
  let logs: Logs;
  try {
    logs = Logs.open(config.dir, { settings, logger, bus });
  } catch (err) {
    db.close();
    throw err;
  }
  const upgrades = new UpgradeRoutes();
  const cron = new Scheduler({
    db,
    logger,
    logFailure: (job, message) =>
      logs.write(LogLevel.error, `Scheduled job ${job} failed`, { job, error: message }),
  });
  const deps: Deps = {
    config,
    db,
    bus,
    settings,
    logger,
    collections,
    files,
    setupGate,
    migrations,
    logs,
    upgrades,
    cron,
  };
  builtInJobs(deps);

  const api = createApiApp({
    logger,
    maxBodySize: () => settings.get('http.maxBodySize'),
    uploadPaths: [
      /^\/api\/collections\/[^/]+\/records(?:\/[^/]+)?\/?$/,
      /^\/api\/batch\/?$/,
      // Backups are large: their own cap applies (api/backups), not http.maxBodySize.
      /^\/api\/backups\/upload\/?$/,
    ],
    outermost: [requestLogger(logs, settings)], // so that a 413 from the body limit is logged too
  });
  registerRateLimits(api, deps); // before every route (it checks the token itself)
  registerAuth(api, deps);
  registerHealth(api);
  registerSettings(api, deps);
  registerLogs(api, deps);
  registerSystem(api, deps);
  registerMail(api, deps);
  registerCollections(api, deps);
  registerRecords(api, deps);
  registerRealtime(api, deps);
  registerFiles(api, deps);
  registerNotes(api, deps);
  registerMeet(api, deps);
  registerCron(api, deps);
  registerBackups(api, deps);
  cron.start();

  return {
    ...deps,
    api,
    setupLink: (baseUrl) => (setupGate && superuserCount({ db }) === 0 ? setupGate.link(baseUrl) : null),
    async close() {
      await cron.stop();
      await bus.close();
      logs.close();
      return db.close();
    },
  };
}

/**
 * The jobs every Hearth has (PocketBase's ids): log retention and the cleanup of expired one-time
 * codes. Tokens are signed, not stored, and SIWE nonces live in memory with their own expiry, so
 * those need no job. Later capabilities add theirs (backups: `__pbBackups__`).
 */
function builtInJobs(deps: Deps): void {
  deps.cron.handle('logs.cleanup', () => `${deps.logs.deleteOldLogs()} old log entries deleted`);
  deps.cron.ensureSystemJob({
    id: '__pbLogsCleanup__',
    handler: 'logs.cleanup',
    schedule: 'every 6h',
    enabled: true,
  });
  deps.cron.handle('otps.cleanup', () => `${deleteAllExpiredOtps(deps)} expired one-time codes deleted`);
  deps.cron.ensureSystemJob({
    id: '__pbOTPCleanup__',
    handler: 'otps.cleanup',
    schedule: 'every 1h',
    enabled: true,
  });
}
