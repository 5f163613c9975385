import type { Command } from 'commander';
import { upsertSuperuser } from '../auth/superusers';
import { dirOption } from './options';
import { withStores } from './stores';

export function addSuperuserCommands(program: Command): void {
  const superuser = program.command('superuser').description('manage superusers');
  superuser
    .command('upsert')
    .description('create a superuser, or set the password of an existing one (works while the server runs)')
    .argument('<email>')
    .argument('<password>')
    .addOption(dirOption())
    .action((email: string, password: string, opts: { dir?: string }) =>
      withStores(opts.dir, async ({ db, bus }) => {
        const { record, created } = await upsertSuperuser({ db, bus }, email, password);
        process.stdout.write(`${created ? 'Created' : 'Updated'} superuser ${record.email} (${record.id})\n`);
      }),
    );
}
