import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines on stdout in production (for journald, Docker and log shippers); a readable,
 * coloured stream in dev mode. pino-pretty runs in-process as a stream, not as a transport
 * worker, so a crash never loses the last lines.
 */
export function createLogger(options: { dev?: boolean; level?: string } = {}): Logger {
  const level = options.level ?? process.env['HEARTH_LOG_LEVEL'] ?? 'info';
  if (options.dev) {
    return pino({ level }, pretty({ colorize: true, ignore: 'pid,hostname', sync: true }));
  }
  return pino({ level, base: { pid: process.pid } });
}

/** A logger that drops everything, for in-process tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
