// The durability check of docs/operating.md at scale: many crash cycles (burst of acknowledged writes —
// superuser creates and settings updates — SIGKILL mid-burst, restart) on one data folder. Every acknowledged write must be on
// disk afterwards and `PRAGMA integrity_check` must say ok. No baseline: the figures are counts.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { crashCycle, prepareCrashDir } from '../tests/support/crash.js';
import { removeDir, tempDir } from '../tests/support/hearth.js';

const PROGRESS_EVERY = 20;
const BURST_MIN_MS = 100;
const BURST_MAX_MS = 600;

/**
 * A small seeded PRNG (mulberry32), so a run's burst lengths can be replayed with `--seed`.
 * @param {number} seed
 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {number} ms */
const duration = (ms) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
};

/**
 * @param {{ cycles?: number, seed?: number, concurrency?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const cycles = options.cycles ?? 200;
  const seed = options.seed ?? 20261122;
  const concurrency = options.concurrency ?? 2;
  const random = prng(seed);
  const work = tempDir('hearth-bench-crash-');
  const dir = join(work, 'data');
  await prepareCrashDir(dir);

  console.log(
    `${cycles} crash cycles on one data folder: ${concurrency} superuser creators + 4 settings writers, SIGKILL after ` +
      `${BURST_MIN_MS}-${BURST_MAX_MS} ms (seed ${seed}), restart, check acknowledged rows and integrity_check`,
  );
  const start = performance.now();
  let acknowledged = 0;
  let attempted = 0;
  /** @type {string[]} */
  const missing = [];
  /** @type {string[]} */
  const problems = [];
  let integrityFailures = 0;
  let failedCycles = 0;
  let done = 0;
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const burstMs = BURST_MIN_MS + Math.floor(random() * (BURST_MAX_MS - BURST_MIN_MS + 1));
    try {
      const r = await crashCycle(dir, { cycle, burstMs, concurrency });
      acknowledged += r.acknowledged;
      attempted += r.attempted;
      missing.push(...r.missing);
      if (r.missing.length > 0) {
        problems.push(
          `cycle ${cycle} (burst ${burstMs} ms): ${r.missing.length} acknowledged writes missing`,
        );
      }
      if (r.integrity !== 'ok') {
        integrityFailures++;
        problems.push(`cycle ${cycle} (burst ${burstMs} ms): integrity_check: ${r.integrity}`);
      }
    } catch (err) {
      failedCycles++;
      problems.push(
        `cycle ${cycle} (burst ${burstMs} ms) failed: ${err instanceof Error ? err.message : err}`,
      );
    }
    done = cycle;
    if (cycle % PROGRESS_EVERY === 0 || cycle === cycles) {
      console.log(
        `  ${cycle}/${cycles} cycles, ${acknowledged} acknowledged writes, ${missing.length} missing, ` +
          `${problems.length} problems, ${duration(performance.now() - start)}`,
      );
    }
  }
  const elapsed = performance.now() - start;
  const ok = problems.length === 0;

  console.log(
    `${done} cycles in ${duration(elapsed)}: ${acknowledged} acknowledged writes (of ${attempted} attempted), ` +
      `${missing.length} missing, ${integrityFailures} integrity_check results not ok, ${failedCycles} failed cycles`,
  );
  for (const problem of problems) console.log(`  FAIL ${problem}`);
  if (missing.length > 0)
    console.log(`  missing: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''}`);
  if (ok) removeDir(work);
  else console.log(`  data folder kept for inspection: ${dir}`);

  const markdown = [
    '| cycles | acknowledged writes | attempted | missing | integrity not ok | failed cycles | duration |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| ${done} | ${acknowledged} | ${attempted} | ${missing.length} | ${integrityFailures} | ${failedCycles} | ` +
      `${duration(elapsed)} |`,
    '',
    `Goal: no acknowledged write lost, \`integrity_check\` ok after every crash: **${ok ? 'met' : 'not met'}**.`,
    '',
    `${concurrency} clients creating superusers, 8 creating records and 4 sequential settings writers (PATCH /api/settings), SIGKILL after a burst of ` +
      `${BURST_MIN_MS}–${BURST_MAX_MS} ms (pseudo-random, seed ${seed}), restart, then the database is checked on disk.`,
  ].join('\n');
  return { name: 'crash', ok, markdown };
}
