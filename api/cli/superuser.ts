import { upsertSuperuser } from '../auth/superusers';
import { withStores } from './stores';

export function superuserUpsert(email: string, password: string, opts: { dir: string }): Promise<void> {
  return withStores(opts.dir, async ({ db, bus }) => {
    const { record, created } = await upsertSuperuser({ db, bus }, email, password);
    process.stdout.write(`${created ? 'Created' : 'Updated'} superuser ${record.email} (${record.id})\n`);
  });
}
