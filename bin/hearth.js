#!/usr/bin/env node
// The `hearth` command (package.json "bin"): runs the built server bundle, building it first when it is
// missing (after a plain `npm ci`). It never rebuilds a stale build on its own: a server may be running
// from it; `npm start` and `npm run build` do that.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = fileURLToPath(new URL('../build/server/hearth.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('hearth: building Hearth once (npm run build)…\n');
  const npmCli = process.env['npm_execpath'];
  const build = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0 || !existsSync(bundle)) {
    process.stderr.write('hearth: the build failed; run `npm ci` and then `npm run build` to see why.\n');
    process.exit(1);
  }
}
await import(bundle);
