import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveBootstrap } from '../core/config';
import { createLogger } from '../core/logger';
import { createHearth } from '../main';
import { startServer, type WebHandler } from '../server';

/**
 * The built web app sits beside the server bundle (build/web next to build/server). Without it,
 * as in a source checkout that was never built, only the API is served.
 */
async function loadWebHandler(): Promise<WebHandler | undefined> {
  const file = fileURLToPath(new URL('../web/handler.js', import.meta.url));
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { handler: WebHandler };
  return mod.handler;
}

/** `hearth serve`: resolves when the server has stopped after SIGTERM or SIGINT. */
export async function serve(flags: {
  http: string;
  dir: string;
  domain: string;
  dev?: boolean;
}): Promise<void> {
  const config = resolveBootstrap(flags);
  const logger = createLogger({ dev: config.dev });
  const hearth = createHearth(config, { logger });
  let running;
  try {
    const web = await loadWebHandler();
    if (!web) logger.warn('the web app is not built (npm run build); serving the API only');
    running = await startServer(hearth, { host: config.host, port: config.port, web });
  } catch (err) {
    await hearth.close();
    throw err;
  }

  logger.info({ url: running.url, dir: config.dir }, 'server listening');
  const setup = hearth.setupLink(running.url);
  process.stderr.write(`\nHearth is serving ${running.url}  (data in ${config.dir})\n`);
  if (setup) {
    logger.warn({ setupUrl: setup }, 'no superuser yet: open the setup link to create one');
    process.stderr.write(`Create the first superuser: ${setup}\n`);
  }
  process.stderr.write('\n');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C means "now"; a repeated SIGTERM (supervisors resend) waits for the drain.
        if (signal === 'SIGINT') {
          logger.warn('second interrupt: exiting without waiting');
          process.exit(130);
        }
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      void running
        .close()
        .then(() => hearth.close())
        .then(() => {
          logger.info('stopped; WAL checkpointed');
          resolve();
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
