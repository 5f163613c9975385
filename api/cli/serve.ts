import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { applyPendingRestore } from '../backups';
import { DEFAULTS, resolveBootstrap, type BootstrapConfig } from '../core/config';
import type { EventBus } from '../core/events';
import { createLogger, type Logger } from '../core/logger';
import { createHearth, DATABASE_FILE, type Hearth } from '../main';
import { migrations as builtMigrations } from '../migrations';
import { startStun, type StunListener } from '../meet/stun';
import { PROTOCOL_HEADER, startServer, type RunningServer, type WebHandler } from '../server';
import type { HearthSettings } from '../settings/registry';
import { CliError } from './errors';
import { dirOption } from './options';
import { lockDataDir } from './serve.lock';
import { HEARTH_VERSION } from '../version';

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the web app and the API on one port')
    .option('--http <host:port>', `listen address (default: ${DEFAULTS.http}, env: HEARTH_HTTP)`)
    .addOption(dirOption())
    .option(
      '--domain <domain>',
      `domain for dashboard.<domain> and sites (default: ${DEFAULTS.domain}, env: HEARTH_DOMAIN)`,
    )
    .option('--dev', 'development mode: readable logs (env: HEARTH_DEV)')
    .action((opts: { http?: string; dir?: string; domain?: string; dev?: boolean }) => serve(opts));
}

/**
 * The built web app sits beside the server bundle (build/web next to build/server). Without it,
 * as in a source checkout that was never built, only the API is served.
 */
async function loadWebHandler(): Promise<WebHandler | undefined> {
  const file = fileURLToPath(new URL('../web/handler.js', import.meta.url));
  if (!existsSync(file)) return undefined;
  // adapter-node reads these when its module loads. Hearth's server sets the protocol header on every
  // request (from X-Forwarded-Proto, else http); without it SvelteKit would assume https.
  process.env['PROTOCOL_HEADER'] = PROTOCOL_HEADER;
  const mod = (await import(pathToFileURL(file).href)) as { handler: WebHandler };
  return mod.handler;
}

/**
 * `hearth serve`: resolves when the server has stopped after SIGTERM or SIGINT. A restart asked for
 * from inside (RestartRequested: a backup restore through the API) closes everything, runs the
 * restore, and serves again on the same address, in the same process.
 */
async function serve(flags: { http?: string; dir?: string; domain?: string; dev?: boolean }): Promise<void> {
  const config = resolveBootstrap(flags);
  const logger = createLogger({ dev: config.dev });
  mkdirSync(config.dir, { recursive: true });
  const unlock = lockDataDir(config.dir);
  try {
    const web = await loadWebHandler();
    if (!web) logger.warn('the web app is not built (npm run build); serving the API only');
    const build = { knownMigrations: builtMigrations.map((m) => m.id), version: HEARTH_VERSION };
    let first = true;
    for (;;) {
      // Between two lives nothing listens for signals: a stop asked for while a restore runs waits
      // for it to finish (a restore cut short by the default exit would leave folders half swapped).
      let stopAsked = false;
      const hold = () => {
        stopAsked = true;
        logger.info('stopping once the restore is done');
      };
      process.on('SIGTERM', hold);
      process.on('SIGINT', hold);
      try {
        await applyPendingRestore(config.dir, build, logger);
        refuseInterruptedRestore(config.dir);
      } finally {
        process.off('SIGTERM', hold);
        process.off('SIGINT', hold);
      }
      if (stopAsked) return;
      if ((await serveOnce(config, logger, web, first)) === 'stopped') return;
      first = false;
      logger.info('restarting');
    }
  } finally {
    unlock();
  }
}

/**
 * A restore cut off in the middle of its swap (a power loss) leaves no data.db but the old data in
 * `.old-*` and the new in `.restore-*`: starting would make an empty database and serve a fresh
 * install. Refused with what to do instead.
 */
function refuseInterruptedRestore(dir: string): void {
  if (existsSync(join(dir, DATABASE_FILE))) return;
  const left = readdirSync(dir).filter(
    (n) => n.startsWith('.old-') || (n.startsWith('.restore-') && !n.endsWith('.json')),
  );
  if (left.length === 0) return;
  throw new CliError(
    `${dir} has no ${DATABASE_FILE} but holds ${left.join(', ')}: a restore was interrupted. Move data.db and storage/ back from the .old-* folder (the data before the restore) or in from the .restore-* folder (the backup), then start again.`,
  );
}

/** One life of the server: until SIGTERM/SIGINT ('stopped') or a restart request ('restart'). */
async function serveOnce(
  config: BootstrapConfig,
  logger: Logger,
  web: WebHandler | undefined,
  first: boolean,
): Promise<'stopped' | 'restart'> {
  const hearth = createHearth(config, { logger });
  let running: RunningServer;
  try {
    running = await startServer(hearth, { host: config.host, port: config.port, web });
  } catch (err) {
    await hearth.close();
    throw err;
  }
  // The next life (a restart) keeps this address, also when port 0 asked for any free one.
  config.port = (running.server.address() as AddressInfo).port;

  // STUN never stops HTTP: a listener that cannot bind is a warning, and serving goes on.
  const stun = superviseStun(hearth, config.host, logger);
  await stun.ready;

  // Signal handlers first: whoever reads the banner below may stop the server at once.
  const stopped = untilStopped(running, stun, hearth, logger);
  logger.info({ url: running.url, dir: config.dir }, 'server listening');
  if (first) process.stderr.write(`\nHearth is serving ${running.url}  (data in ${config.dir})\n`);
  const setup = hearth.setupLink(running.url);
  if (setup) {
    // The link carries the one-time code: it goes to the console only, never into the log stream.
    logger.warn('no superuser yet: the setup link is printed on the console (stderr)');
    process.stderr.write(`Create the first superuser: ${setup}\n`);
  }
  if (first) process.stderr.write('\n');
  return stopped;
}

/**
 * Waits for SIGTERM/SIGINT ('stopped') or RestartRequested ('restart'), then drains requests,
 * checkpoints and closes.
 */
function untilStopped(
  running: RunningServer,
  stun: StunSupervisor,
  hearth: Hearth,
  logger: Logger,
): Promise<'stopped' | 'restart'> {
  return new Promise((resolve, reject) => {
    let stoppingSince = 0;
    let stoppingFor: NodeJS.Signals | 'restart' | null = null;
    /** A signal that came while draining for a restart: stop after all. */
    let stopInstead = false;
    const stop = (signal: NodeJS.Signals | 'restart') => {
      if (stoppingSince > 0) {
        if (signal !== 'restart') stopInstead = true;
        // A second Ctrl-C means "now" — but not the duplicate a shell may deliver in the same second.
        // A repeated SIGTERM (supervisors resend) keeps waiting for the drain.
        if (signal === 'SIGINT' && stoppingFor !== 'restart' && Date.now() - stoppingSince > 1000) {
          logger.warn('second interrupt: exiting without waiting');
          process.exit(130);
        }
        return;
      }
      stoppingSince = Date.now();
      stoppingFor = signal;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      // Long-lived streams (realtime) end now; they would otherwise hold the drain until its timeout.
      hearth.bus.publish('ServerClosing', {});
      // STUN is stateless: nothing to drain, it stops at once.
      Promise.all([running.close(), stun.close()])
        .then(() => hearth.close())
        .then(({ checkpointed }) => {
          if (checkpointed) logger.info('stopped; WAL checkpointed');
          else logger.warn('stopped; another process holds the database, the WAL stays until it is done');
        })
        .then(
          () => {
            if (signal === 'restart' && !stopInstead) {
              // The next life registers its own handlers.
              process.off('SIGTERM', stop);
              process.off('SIGINT', stop);
              resolve('restart');
            } else {
              resolve('stopped');
            }
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            reject(new CliError(`shutdown failed: ${(err as Error).message}`));
          },
        );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    hearth.bus.subscribe('RestartRequested', () => stop('restart'));
  });
}

export interface StunSupervisor {
  /** Settles once the listener is up, or its failure is logged, or it is off. Never rejects. */
  ready: Promise<void>;
  /** Stops watching the settings and closes the listener. */
  close(): Promise<void>;
}

/** How often settings written by another process (`hearth config set`) are looked at. */
const STUN_RECHECK_MS = 10_000;

/**
 * Keeps the built-in STUN listener (api/meet/stun.ts, issue 8) where meet.stun.* say: on
 * meet.stun.port, on meet.stun.host or else the address HTTP is served on, or off. A change through
 * the API restarts it at once (SettingsUpdate); one written by another process is seen within
 * STUN_RECHECK_MS. A listener that cannot bind (port in use, no permission) is logged as a warning,
 * once: the next change of meet.stun.* tries again.
 */
export function superviseStun(
  stores: { settings: HearthSettings; bus: EventBus },
  httpHost: string,
  logger: Logger,
  options: { recheckMs?: number } = {},
): StunSupervisor {
  let listener: StunListener | null = null;
  let target = 'off';
  let stopped = false;
  let queue = Promise.resolve();

  // One change at a time, in order: a restart finishes before the next one looks at the settings.
  const reconcile = (): Promise<void> =>
    (queue = queue
      .then(async () => {
        const want = stopped ? null : stunAddress(stores.settings, httpHost);
        const key = want ? `${want.host} ${want.port}` : 'off';
        if (key === target) return;
        target = key;
        if (listener) {
          await listener.close();
          listener = null;
          logger.info('STUN listener stopped');
        }
        if (!want) return;
        try {
          listener = await startStun({ ...want, logger });
        } catch (err) {
          logger.warn(
            { err, host: want.host, port: want.port },
            `STUN is not available: udp ${want.host} port ${want.port}: ${(err as Error).message}`,
          );
        }
      })
      .catch((err: unknown) => logger.error({ err }, 'STUN listener: meet.stun.* could not be applied')));

  // Delivered at commit, before the settings store reloads; reconcile reads them a tick later.
  const unsubscribe = stores.bus.subscribe('SettingsUpdate', ({ keys }) => {
    if (keys.some((k) => k.startsWith('meet.stun.'))) void reconcile();
  });
  const timer = setInterval(() => void reconcile(), options.recheckMs ?? STUN_RECHECK_MS);
  timer.unref();

  return {
    ready: reconcile(),
    close() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      return reconcile();
    },
  };
}

function stunAddress(settings: HearthSettings, httpHost: string): { host: string; port: number } | null {
  if (!settings.get('meet.stun.enabled')) return null;
  return { host: settings.get('meet.stun.host') || httpHost, port: settings.get('meet.stun.port') };
}
