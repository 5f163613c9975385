import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../core/config';
import { DatabaseOpenError } from '../core/db';
import { ApiError } from '../core/errors';
import { SettingsError } from '../core/settings';
import { configGet, configSet } from './config';
import { CliError } from './errors';
import { migrateCreate, migrateStatus, migrateUp } from './migrate';
import { serve } from './serve';
import { superuserUpsert } from './superuser';

/** Exit codes: 0 ok, 1 the command failed, 2 it was called wrongly (usage printed). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const dirOption = () => new Option('--dir <path>', 'data folder').env('HEARTH_DIR').default('./hearth_data');

/** The `hearth` program. Each subcommand is a thin shell over the functions the API calls. */
export function buildProgram(version: string): Command {
  const program = new Command('hearth')
    .description('Hearth: a personal cloud in one process.')
    .version(version, '-v, --version')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('serve the web app and the API on one port')
    .addOption(
      new Option('--http <host:port>', 'listen address').env('HEARTH_HTTP').default('127.0.0.1:8090'),
    )
    .addOption(dirOption())
    .addOption(
      new Option('--domain <domain>', 'domain for dashboard.<domain> and sites')
        .env('HEARTH_DOMAIN')
        .default('localhost'),
    )
    .option('--dev', 'development mode: readable logs')
    .action((opts: { http: string; dir: string; domain: string; dev?: boolean }) => serve(opts));

  const superuser = program.command('superuser').description('manage superusers');
  superuser
    .command('upsert')
    .description('create a superuser, or set the password of an existing one (works while the server runs)')
    .argument('<email>')
    .argument('<password>')
    .addOption(dirOption())
    .action((email: string, password: string, opts: { dir: string }) =>
      superuserUpsert(email, password, opts),
    );

  const migrate = program.command('migrate').description('database migrations');
  migrate
    .command('status')
    .description('list applied, pending and unknown migrations with their UTC times')
    .addOption(dirOption())
    .action((opts: { dir: string }) => migrateStatus(opts));
  migrate
    .command('up')
    .description('apply pending migrations')
    .addOption(dirOption())
    .action((opts: { dir: string }) => migrateUp(opts));
  migrate
    .command('create')
    .description('write a new migration file api/<capability>/migrations/<UTC time>_<name>.ts')
    .argument('<capability>', 'folder under api/, e.g. notes')
    .argument('<name>', 'what it does, e.g. add_tags')
    .action((capability: string, name: string) => migrateCreate(capability, name));

  const config = program.command('config').description('read and change settings stored in the database');
  config
    .command('get')
    .description('print one setting, or all of them')
    .argument('[key]')
    .option('--json', 'print JSON')
    .addOption(dirOption())
    .action((key: string | undefined, opts: { dir: string; json?: boolean }) => configGet(key, opts));
  config
    .command('set')
    .description('change a setting (checked against its type; nothing is written if it is wrong)')
    .argument('<key>')
    .argument('<value>', 'JSON, or plain text for text settings')
    .addOption(dirOption())
    .action((key: string, value: string, opts: { dir: string }) => configSet(key, value, opts));

  // Every command, nested ones included, fails with usage and exit code 2 on unknown input.
  const strict = (cmd: Command): void => {
    cmd.exitOverride().showHelpAfterError().allowExcessArguments(false);
    cmd.commands.forEach(strict);
  };
  strict(program);
  return program;
}

/** Runs the CLI; resolves to the exit code (serve resolves only when it stops). */
export async function run(argv: string[], version: string): Promise<number> {
  const program = buildProgram(version);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
        return EXIT.ok;
      }
      // A command group called alone (e.g. `hearth migrate`) prints its help and is a usage error.
      return EXIT.usage;
    }
    if (
      err instanceof DatabaseOpenError ||
      err instanceof ConfigError ||
      err instanceof SettingsError ||
      err instanceof ApiError ||
      err instanceof CliError
    ) {
      process.stderr.write(`hearth: ${describe(err)}\n`);
      return EXIT.failed;
    }
    process.stderr.write(`hearth: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failed;
  }
}

function describe(err: Error): string {
  if (err instanceof ApiError && Object.keys(err.data).length > 0) {
    const fields = Object.entries(err.data).map(
      ([field, e]) => `${field}: ${(e as { message: string }).message}`,
    );
    return `${err.message} ${fields.join('; ')}`;
  }
  return err.message;
}
