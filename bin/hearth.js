#!/usr/bin/env node
// The `hearth` command: runs the built server bundle. `npm start` builds it; so does `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../build/server/hearth.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(
    'hearth: not built yet. Run `npm start` (installs, builds and serves) or `npm run build`.\n',
  );
  process.exit(1);
}
await import(bundle);
