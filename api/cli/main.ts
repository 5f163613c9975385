import { SqliteError } from 'better-sqlite3';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/config';
import { DatabaseOpenError } from '../core/db';
import { ApiError } from '../core/errors';
import { SettingsError } from '../core/settings';
import { addBackupCommands } from './backup';
import { addConfigCommands } from './config';
import { CliError } from './errors';
import { addMigrateCommands } from './migrate';
import { addServeCommand } from './serve';
import { addSuperuserCommands } from './superuser';

/** Exit codes: 0 ok, 1 the command failed, 2 it was called wrongly (usage printed). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The `hearth` program. Each subcommand is a thin shell over the functions the API calls. */
export function buildProgram(version: string): Command {
  const program = new Command('hearth')
    .description('Hearth: a personal cloud in one process.')
    .version(version, '-v, --version');
  addServeCommand(program);
  addSuperuserCommands(program);
  addMigrateCommands(program);
  addConfigCommands(program);
  addBackupCommands(program);

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
      err instanceof CliError ||
      err instanceof SqliteError
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
