// Starts and drives the built Hearth (build/server/hearth.js) as a real process on a random loopback
// port with a temporary data folder. Shared by the Vitest server tests, Playwright and the benches,
// which is why it is plain JavaScript (with JSDoc types) rather than TypeScript.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BUNDLE = join(ROOT, 'build/server/hearth.js');

function assertBuilt() {
  if (!existsSync(BUNDLE))
    throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (npm test does).`);
}

/** A fresh temporary data folder. */
export function tempDir(prefix = 'hearth-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * @typedef {object} HearthProcess
 * @property {string} url          base URL, e.g. http://127.0.0.1:41234
 * @property {string} dir          data folder
 * @property {import('node:child_process').ChildProcess} proc
 * @property {string | null} setupUrl  first-run setup link printed at start, if any
 * @property {() => string} stdout    everything written to stdout so far
 * @property {() => string} stderr    everything written to stderr so far
 * @property {(signal?: NodeJS.Signals) => Promise<number | null>} stop  signal (SIGTERM) and wait for the exit code
 * @property {() => Promise<void>} kill   SIGKILL and wait
 */

/**
 * Starts `hearth serve` and resolves once it logged "server listening" and printed its banner.
 * With `viaEnv` the address and folder go in HEARTH_HTTP and HEARTH_DIR instead of flags.
 * @param {{ dir?: string, args?: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number, viaEnv?: boolean }} [options]
 * @returns {Promise<HearthProcess>}
 */
export function startHearth(options = {}) {
  assertBuilt();
  const dir = options.dir ?? tempDir();
  const where = { HEARTH_HTTP: '127.0.0.1:0', HEARTH_DIR: dir };
  const flags = options.viaEnv ? [] : ['--http', where.HEARTH_HTTP, '--dir', dir];
  const proc = spawn(process.execPath, [BUNDLE, 'serve', ...flags, ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, HEARTH_LOG_LEVEL: 'info', ...(options.viaEnv ? where : {}), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  /** @type {string | null} */
  let url = null;
  // The console banner (stderr) ends with an empty line, after the setup link when there is one.
  const BANNER = /Hearth is serving [^\n]*\n(?:Create the first superuser: (\S+)\n)?\n/;

  return new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 20000;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`hearth did not start within ${timeoutMs} ms\n${out}\n${err}`));
    }, timeoutMs);
    const ready = () => {
      const banner = BANNER.exec(err);
      if (!url || !banner) return;
      clearTimeout(timer);
      resolve({
        url,
        dir,
        proc,
        setupUrl: banner[1] ?? null,
        stdout: () => out,
        stderr: () => err,
        stop: async (signal = 'SIGTERM') => {
          // A signal already sent (proc.killed) is not repeated: a second SIGINT forces exit.
          if (!proc.killed && proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
        kill: async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
          await exited;
        },
      });
    };
    let partial = '';
    proc.stdout.on('data', (d) => {
      out += d;
      // JSON lines may arrive split across chunks: only whole lines are parsed.
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line);
          if (entry.msg === 'server listening') url = entry.url;
        } catch {
          // not a log line
        }
      }
      ready();
    });
    proc.stderr.on('data', (d) => {
      err += d;
      ready();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hearth exited with ${code} before listening\n${out}\n${err}`));
    });
  });
}

/**
 * Runs a `hearth` CLI command to completion.
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number }} [options]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function runCli(args, options = {}) {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BUNDLE, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`hearth ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Removes a temporary data folder. @param {string} dir */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}
