import { withStores } from './stores';

export function configGet(key: string | undefined, opts: { dir: string; json?: boolean }): Promise<void> {
  return withStores(opts.dir, ({ settings }) => {
    if (key !== undefined) {
      process.stdout.write(`${JSON.stringify(settings.get(key as never))}\n`);
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
      const note = s.changed ? '' : '  (default)';
      process.stdout.write(`${s.key.padEnd(width)}  ${JSON.stringify(s.value)}${note}\n`);
    }
  });
}

export function configSet(key: string, value: string, opts: { dir: string }): Promise<void> {
  return withStores(opts.dir, ({ settings }) => {
    const parsed = settings.parseText(key, value);
    settings.set({ [key]: parsed });
    process.stdout.write(`${key} = ${JSON.stringify(settings.get(key as never))}\n`);
  });
}
