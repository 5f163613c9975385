// Time from spawning `hearth serve` until the first 200 from /api/health, with a fresh data folder and
// with an existing, already migrated one; baseline: the bare node:http server of bench/health.js,
// spawned and polled the same way.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUNDLE, ROOT, removeDir, startHearth, tempDir } from '../tests/support/hearth.js';
import { HEALTH_PATH, HEALTH_RESPONSE, rawGet, writeBaselineScript } from './health.js';

const POLL_MS = 5;
const TIMEOUT_MS = 30000;
const GOAL_MS = 2000;

/** A loopback port nothing listens on right now. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node <args...> --http 127.0.0.1:<port>`, polls /api/health every POLL_MS until a 200, then
 * stops the process with SIGTERM and waits for it to exit. Resolves to the milliseconds from spawn to 200.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 */
async function timeToFirst200(args, env) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${HEALTH_PATH}`;
  const start = performance.now();
  const proc = spawn(process.execPath, [...args, '--http', `127.0.0.1:${port}`], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  try {
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`${args.join(' ')} exited before answering\n${output}`);
      }
      try {
        const res = await rawGet(url);
        if (res.status === 200) return performance.now() - start;
      } catch {
        // not listening yet
      }
      if (performance.now() - start > TIMEOUT_MS)
        throw new Error(`no 200 within ${TIMEOUT_MS} ms\n${output}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  }
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? /** @type {number} */ (sorted[mid])
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** @param {number} n */
const ms = (n) => `${n.toFixed(0)} ms`;

/**
 * @param {{ runs?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const runs = options.runs ?? 10;
  const work = tempDir('hearth-bench-startup-');
  try {
    const baselineScript = writeBaselineScript(work);
    const baselineEnv = { ...process.env, BENCH_RESPONSE: JSON.stringify(HEALTH_RESPONSE) };
    const hearthEnv = { ...process.env };

    // The existing folder: migrated by one start, then stopped cleanly.
    const existingDir = join(work, 'existing');
    const first = await startHearth({ dir: existingDir });
    await first.stop();

    let fresh = 0;
    const freshDir = () => join(work, `fresh-${fresh++}`);
    const baseline = () => timeToFirst200([baselineScript], baselineEnv);
    const hearthFresh = () => timeToFirst200([BUNDLE, 'serve', '--dir', freshDir()], hearthEnv);
    const hearthExisting = () => timeToFirst200([BUNDLE, 'serve', '--dir', existingDir], hearthEnv);

    console.log(
      `spawn until the first 200 from ${HEALTH_PATH} (polled every ${POLL_MS} ms), median of ${runs} runs each, ` +
        'runs interleaved, after one untimed warm-up round',
    );
    await baseline();
    await hearthFresh();
    await hearthExisting();

    /** @type {{ baseline: number[], fresh: number[], existing: number[] }} */
    const times = { baseline: [], fresh: [], existing: [] };
    for (let i = 1; i <= runs; i++) {
      times.baseline.push(await baseline());
      times.fresh.push(await hearthFresh());
      times.existing.push(await hearthExisting());
      const last = (/** @type {number[]} */ a) => ms(/** @type {number} */ (a[a.length - 1]));
      console.log(
        `  run ${i}: baseline ${last(times.baseline)}, hearth fresh ${last(times.fresh)}, ` +
          `hearth existing ${last(times.existing)}`,
      );
    }

    const base = median(times.baseline);
    const rows = /** @type {const} */ ([
      ['fresh data folder', median(times.fresh)],
      ['existing migrated folder', median(times.existing)],
    ]);
    const met = rows.every(([, t]) => t < GOAL_MS);
    console.log(`baseline (bare node:http): ${ms(base)}`);
    for (const [label, t] of rows) {
      console.log(
        `hearth, ${label}: ${ms(t)} (+${ms(t - base)} over baseline, ratio ${(t / base).toFixed(1)}x, ` +
          `goal < ${GOAL_MS} ms: ${t < GOAL_MS ? 'met' : 'NOT met'})`,
      );
    }

    const markdown = [
      '| process | median time to first 200 | over baseline | ratio |',
      '| --- | ---: | ---: | ---: |',
      `| bare \`node:http\` script (baseline) | ${ms(base)} | | 1.0 |`,
      ...rows.map(
        ([label, t]) => `| Hearth, ${label} | ${ms(t)} | +${ms(t - base)} | ${(t / base).toFixed(1)} |`,
      ),
      '',
      `Goal: Hearth ready in under ${GOAL_MS / 1000} s: **${met ? 'met' : 'not met'}**.`,
      '',
      `Median of ${runs} runs each (interleaved, after one untimed warm-up round), polling every ${POLL_MS} ms.`,
    ].join('\n');
    return { name: 'startup', ok: true, markdown };
  } finally {
    removeDir(work);
  }
}
