import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveDataDir } from '../core/config';
import { openDatabase } from '../core/db';
import { applyMigrations, migrationScaffold, migrationStatus, type MigrationState } from '../core/migrate';
import { DATABASE_FILE } from '../main';
import { migrations } from '../migrations';
import { CliError } from './errors';
import { dirOption } from './options';

export function addMigrateCommands(program: Command): void {
  const migrate = program.command('migrate').description('database migrations');
  migrate
    .command('status')
    .description('list applied, pending and unknown migrations with their UTC times (changes nothing)')
    .addOption(dirOption())
    .action((opts: { dir?: string }) => migrateStatus(opts.dir));
  migrate
    .command('up')
    .description('apply pending migrations')
    .addOption(dirOption())
    .action((opts: { dir?: string }) => migrateUp(opts.dir));
  migrate
    .command('create')
    .description('write a new migration file api/<capability>/migrations/<UTC time>_<name>.ts')
    .argument('<capability>', 'folder under api/, e.g. notes')
    .argument('<name>', 'what it does, e.g. add_tags')
    .action((capability: string, name: string) => migrateCreate(capability, name));
}

function line(kind: string, m: MigrationState): string {
  const applied = m.applied ? `  applied ${m.applied}` : '';
  return `${kind.padEnd(8)} ${m.time}  ${m.id}${applied}\n`;
}

/** Lists migrations on a read-only connection: nothing is created or changed. */
function migrateStatus(dirFlag: string | undefined): void {
  const file = join(resolveDataDir(dirFlag), DATABASE_FILE);
  if (!existsSync(file)) {
    process.stdout.write(`No database at ${file} yet; every migration is pending:\n`);
    for (const m of migrations) process.stdout.write(line('pending', { ...m, applied: null }));
    return;
  }
  const db = openDatabase(file, { readonly: true });
  try {
    const status = migrationStatus(db, migrations);
    for (const m of status.applied) process.stdout.write(line('applied', m));
    for (const m of status.pending) process.stdout.write(line('pending', m));
    for (const m of status.unknown) process.stdout.write(line('unknown', m));
    process.stdout.write(
      `${status.applied.length} applied, ${status.pending.length} pending, ${status.unknown.length} unknown\n`,
    );
    if (status.unknown.length > 0) {
      throw new CliError(
        'Unknown migrations were applied by a newer Hearth; this build will not start on this database.',
      );
    }
  } finally {
    db.close();
  }
}

function migrateUp(dirFlag: string | undefined): void {
  const dir = resolveDataDir(dirFlag);
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, DATABASE_FILE));
  try {
    const done = applyMigrations(db, migrations);
    for (const m of done) process.stdout.write(`applied  ${m.time}  ${m.id}\n`);
    process.stdout.write(done.length === 0 ? 'Nothing to apply.\n' : `${done.length} applied\n`);
  } finally {
    db.close();
  }
}

/** Writes a migration scaffold into the source tree (run from the repository root). */
function migrateCreate(capability: string, name: string): void {
  if (!existsSync(resolve('api'))) {
    throw new CliError(
      'Run `hearth migrate create` from the root of the Hearth source tree (the folder with api/).',
    );
  }
  let scaffold: ReturnType<typeof migrationScaffold>;
  try {
    scaffold = migrationScaffold(capability, name);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const path = resolve(scaffold.path);
  if (existsSync(path)) throw new CliError(`${scaffold.path} already exists`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, scaffold.content, { flag: 'wx' });
  process.stdout.write(
    `Created ${scaffold.path}\nRebuild (npm run build) to include it; it runs at the next start or \`hearth migrate up\`.\n`,
  );
}
