import type { Command } from 'commander';
import { parseSettingText } from '../core/settings';
import { settingDefs } from '../settings/registry';
import { dirOption } from './options';
import { withStores } from './stores';

export function addConfigCommands(program: Command): void {
  const config = program.command('config').description('read and change settings stored in the database');
  config
    .command('get')
    .description('print one setting, or all of them')
    .argument('[key]')
    .option('--json', 'print JSON')
    .addOption(dirOption())
    .action((key: string | undefined, opts: { dir?: string; json?: boolean }) => configGet(key, opts));
  config
    .command('set')
    .description('change a setting (checked against its type; nothing is written if it is wrong)')
    .argument('<key>')
    .argument('<value>', 'JSON, or plain text for text settings')
    .addOption(dirOption())
    .action((key: string, value: string, opts: { dir?: string }) => configSet(key, value, opts));
}

function configGet(key: string | undefined, opts: { dir?: string; json?: boolean }): Promise<void> {
  return withStores(
    opts.dir,
    ({ settings }) => {
      // Secrets (smtp.password) print as "" with a note saying whether one is set, never their value.
      if (key !== undefined) {
        const value = settings.get(key as never);
        if (settings.isSecret(key)) {
          process.stdout.write('""\n');
          process.stderr.write(`${key} is secret and never printed (${secretState(value !== '')}).\n`);
          return;
        }
        process.stdout.write(`${JSON.stringify(value)}\n`);
        return;
      }
      const all = settings.describe();
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify(Object.fromEntries(all.map((s) => [s.key, s.value])), null, 2)}\n`,
        );
        return;
      }
      const width = Math.max(...all.map((s) => s.key.length));
      for (const s of all) {
        const note = s.secret ? `  (secret, ${secretState(s.changed)})` : s.changed ? '' : '  (default)';
        process.stdout.write(`${s.key.padEnd(width)}  ${JSON.stringify(s.value)}${note}\n`);
      }
    },
    { mustExist: true },
  );
}

function configSet(key: string, value: string, opts: { dir?: string }): Promise<void> {
  // Checked before the data folder is opened: a wrong key or value writes nothing at all.
  const parsed = parseSettingText(settingDefs, key, value);
  return withStores(opts.dir, ({ settings }) => {
    settings.set({ [key]: parsed });
    const stored = settings.get(key as never);
    const shown = settings.isSecret(key) ? `(secret, ${secretState(stored !== '')})` : JSON.stringify(stored);
    process.stdout.write(`${key} = ${shown}\n`);
  });
}

function secretState(set: boolean): string {
  return set ? 'set' : 'not set';
}
