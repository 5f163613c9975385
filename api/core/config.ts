import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Bootstrap values: the only configuration that comes from flags or HEARTH_* environment variables
 * (everything else is a setting in the database). Checked at start-up; a bad value stops the process
 * with a message naming it.
 */
export interface BootstrapConfig {
  host: string;
  port: number;
  /** Absolute path of the data folder. */
  dir: string;
  domain: string;
  dev: boolean;
}

export const DEFAULTS = { http: '127.0.0.1:8090', dir: './hearth_data', domain: 'localhost' } as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `127.0.0.1:8090`, `[::1]:8090`, `0.0.0.0:80`, `:8090` (all interfaces). */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(
      `Invalid listen address "${text}": use host:port, e.g. 127.0.0.1:8090 or [::1]:8090`,
    );
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

const domainSchema = z
  .string()
  .toLowerCase()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    'not a domain name',
  );

const booleanText = z
  .string()
  .toLowerCase()
  .transform((v, ctx) => {
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['', '0', 'false', 'no', 'off'].includes(v)) return false;
    ctx.addIssue({ code: 'custom', message: 'expected true or false' });
    return z.NEVER;
  });

export interface BootstrapInput {
  http?: string;
  dir?: string;
  domain?: string;
  dev?: boolean;
}

/** The data folder: the flag, else HEARTH_DIR, else ./hearth_data; absolute. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = flag ?? env['HEARTH_DIR'] ?? DEFAULTS.dir;
  if (dir.trim() === '') throw new ConfigError('The data folder (--dir) cannot be empty');
  return resolve(dir);
}

/** Flags win over environment variables, which win over defaults: the one place they are read. */
export function resolveBootstrap(
  flags: BootstrapInput,
  env: NodeJS.ProcessEnv = process.env,
): BootstrapConfig {
  const http = flags.http ?? env['HEARTH_HTTP'] ?? DEFAULTS.http;
  const dir = resolveDataDir(flags.dir, env);
  const domainText = flags.domain ?? env['HEARTH_DOMAIN'] ?? DEFAULTS.domain;
  const domain = domainSchema.safeParse(domainText);
  if (!domain.success) {
    throw new ConfigError(`Invalid domain "${domainText}": ${domain.error.issues[0]?.message}`);
  }
  let dev = flags.dev ?? false;
  if (flags.dev === undefined && env['HEARTH_DEV'] !== undefined) {
    const parsed = booleanText.safeParse(env['HEARTH_DEV']);
    if (!parsed.success)
      throw new ConfigError(`Invalid HEARTH_DEV "${env['HEARTH_DEV']}": expected true or false`);
    dev = parsed.data;
  }
  return { ...parseListenAddress(http), dir, domain: domain.data, dev };
}
