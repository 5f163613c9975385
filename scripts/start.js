// `npm start`: installs what is missing, builds when a source changed, then runs `hearth serve`
// (127.0.0.1:8090, data in ./hearth_data; extra flags pass through: `npm start -- --http 0.0.0.0:8090`).
// Uses only Node's own modules, since it runs before dependencies exist.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Hearth needs Node.js 20.19 or newer; this is ${process.versions.node}.`);
  process.exit(1);
}

/** Runs npm with the same npm that started us (npm_execpath), or the one on PATH. @param {string[]} args */
function npm(...args) {
  const execPath = process.env.npm_execpath;
  const result = execPath
    ? spawnSync(process.execPath, [execPath, ...args], { stdio: 'inherit' })
    : spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** Newest modification time under the given paths (files or folders), 0 if none exist. @param {string[]} paths */
function newest(paths) {
  let max = 0;
  /** @param {string} path */
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules') visit(join(path, entry));
    } else {
      max = Math.max(max, stat.mtimeMs);
    }
  };
  paths.forEach(visit);
  return max;
}

const installed = 'node_modules/.package-lock.json';
if (!existsSync(installed)) {
  console.log('Installing dependencies (npm ci; better-sqlite3 compiles, about two minutes)…');
  npm('ci', '--no-audit', '--no-fund');
} else if (newest(['package.json', 'package-lock.json']) > statSync(installed).mtimeMs) {
  console.log('Dependencies changed: npm install…');
  npm('install', '--no-audit', '--no-fund');
}

const outputs = ['build/server/hearth.js', 'build/web/handler.js'];
const sources = [
  'api',
  'web',
  'locales',
  'static',
  'package.json',
  'package-lock.json',
  'svelte.config.js',
  'vite.config.ts',
  'vite.server.config.ts',
];
const built = outputs.every((f) => existsSync(f)) ? Math.min(...outputs.map((f) => statSync(f).mtimeMs)) : 0;
if (newest(sources) > built) {
  console.log('Building Hearth…');
  npm('run', 'build');
}

process.argv = [process.execPath, join(root, 'bin/hearth.js'), 'serve', ...process.argv.slice(2)];
await import('../bin/hearth.js');
