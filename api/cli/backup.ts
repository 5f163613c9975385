import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Backups } from '../backups';
import { verifyBackup } from '../backups/backups.archive';
import { dropPendingRestore, listBackups } from '../backups/backups.service';
import { BackupError, backupsDir } from '../backups/backups.manifest';
import { restoreBackup } from '../backups/backups.restore';
import type { RestoreBuild } from '../backups/backups.unpack';
import { resolveDataDir } from '../core/config';
import { migrations } from '../migrations';
import { HEARTH_VERSION } from '../version';
import { CliError } from './errors';
import { dirOption } from './options';
import { servingPid } from './serve.lock';
import { withStores } from './stores';

const BUILD: RestoreBuild = { knownMigrations: migrations.map((m) => m.id), version: HEARTH_VERSION };

/**
 * `hearth backup create|list|verify|restore` (issue 9): thin shells over api/backups, the same
 * functions the HTTP API calls. create, list and verify work while a server runs; restore refuses.
 */
export function addBackupCommands(program: Command): void {
  const backup = program.command('backup').description('make, check and restore backups of the data folder');

  backup
    .command('create')
    .description('make a backup zip in <dir>/backups (works while the server runs)')
    .argument('[name]', 'file name, e.g. before-upgrade.zip (default: hearth_backup_<UTC time>.zip)')
    .addOption(dirOption())
    .action((name: string | undefined, opts: { dir?: string }) =>
      withStores(
        opts.dir,
        async ({ db }) => {
          const backups = new Backups({ db, dataDir: resolveDataDir(opts.dir), build: BUILD });
          const made = await cli(() => backups.create(name));
          process.stdout.write(
            `${join(backups.dir, made.name)} (${made.size} bytes, ${made.manifest.entries.length} entries)\n`,
          );
          for (const skipped of made.skipped) process.stderr.write(`left out: ${skipped}\n`);
        },
        { mustExist: true },
      ),
    );

  backup
    .command('list')
    .description('list the backups in <dir>/backups, newest first')
    .addOption(dirOption())
    .action(async (opts: { dir?: string }) => {
      const dir = backupsDir(resolveDataDir(opts.dir));
      const list = await listBackups(dir);
      if (list.length === 0) process.stdout.write(`no backups in ${dir}\n`);
      for (const b of list) process.stdout.write(`${b.key}\t${b.size}\t${b.modified}\n`);
    });

  backup
    .command('verify')
    .description('check a backup zip as a restore would (names, sizes, hashes, database integrity, version)')
    .argument('<path>')
    .action(async (path: string) => {
      const manifest = await cli(() => verifyBackup(resolve(path), { ...BUILD, tempDir: tmpdir() }));
      process.stdout.write(
        `ok: ${manifest.entries.length} entries, made ${manifest.createdAt} by Hearth ${manifest.version}\n`,
      );
    });

  backup
    .command('restore')
    .description("replace the data folder's database and files with a backup (the server must be stopped)")
    .argument('<name|path>', 'a backup in <dir>/backups, or a path to a zip')
    .addOption(dirOption())
    .action(async (target: string, opts: { dir?: string }) => {
      const dataDir = resolveDataDir(opts.dir);
      const pid = servingPid(dataDir);
      if (pid !== null)
        throw new CliError(`a Hearth server (pid ${pid}) is serving ${dataDir}: stop it first`);
      const inFolder = join(backupsDir(dataDir), target);
      const file =
        !isAbsolute(target) && !target.includes('/') && existsSync(inFolder) ? inFolder : resolve(target);
      if (!existsSync(file))
        throw new CliError(`no backup ${target} (neither in ${backupsDir(dataDir)} nor as a path)`);
      const manifest = await cli(() => restoreBackup({ file, dataDir, ...BUILD }));
      // A restore the API asked for and no restart carried out must not undo this one later.
      dropPendingRestore(dataDir);
      process.stdout.write(
        `restored ${file} (made ${manifest.createdAt} by Hearth ${manifest.version}) into ${dataDir}; the next start migrates it if needed\n`,
      );
    });
}

/** A BackupError is the user's message: a clean CLI error, not a stack. */
async function cli<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BackupError) throw new CliError(err.message);
    throw err;
  }
}
