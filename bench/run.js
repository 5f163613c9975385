// `npm run bench` runs every bench in order; `npm run bench -- health startup` runs the named ones.
// Options: --cycles N and --seed N (crash), --runs N (startup), --seconds N (health, records, auth), --rounds N
// (health, records, files, auth, console, notes, meet), --db-mb N and --files-mb N (backups: the data folder's
// database and files in MiB, 1024 and 2048 by default).
// Every figure is a ratio against a baseline measured in the same run (see docs/BENCHMARKS.md); the
// markdown block printed at the end can be pasted into docs/BENCHMARKS.md. Exits 1 if a bench fails
// (an error, or the crash bench finding a lost write or a damaged database); a missed performance goal
// is reported, not an exit code.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as auth from './auth.js';
import * as backups from './backups.js';
import * as consoleBench from './console.js';
import * as crash from './crash.js';
import * as files from './files.js';
import * as health from './health.js';
import * as meet from './meet.js';
import * as notes from './notes.js';
import * as realtime from './realtime.js';
import * as records from './records.js';
import * as startup from './startup.js';

/**
 * @typedef {object} BenchResult
 * @property {string} name
 * @property {boolean} ok        false if the bench found a failure (not merely a missed goal)
 * @property {string} markdown   the section body for docs/BENCHMARKS.md
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cycles: { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    'db-mb': { type: 'string' },
    'files-mb': { type: 'string' },
  },
});

/** @param {string | undefined} value @param {string} name */
function int(value, name) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

/** @type {Record<string, { title: string, flags: (keyof typeof values)[], run: () => Promise<BenchResult> }>} */
const BENCHES = {
  health: {
    title: 'GET /api/health under load',
    flags: ['seconds', 'rounds'],
    run: () => health.run({ seconds: int(values.seconds, 'seconds'), rounds: int(values.rounds, 'rounds') }),
  },
  startup: {
    title: 'Startup: spawn to first 200',
    flags: ['runs'],
    run: () => startup.run({ runs: int(values.runs, 'runs') }),
  },
  records: {
    title: 'Storage API (issue 3)',
    flags: ['seconds', 'rounds'],
    run: () => records.run({ seconds: int(values.seconds, 'seconds'), rounds: int(values.rounds, 'rounds') }),
  },
  realtime: {
    title: 'Realtime: 10 000 subscribers (issue 4)',
    flags: [],
    run: () => realtime.run(),
  },
  auth: {
    title: 'Accounts: auth-refresh and password sign-ins (issue 5)',
    flags: ['seconds', 'rounds'],
    run: () => auth.run({ seconds: int(values.seconds, 'seconds'), rounds: int(values.rounds, 'rounds') }),
  },
  console: {
    title: 'Console: 100 000-record grid and first-load JS (issue 6)',
    flags: ['rounds'],
    run: () => consoleBench.run({ rounds: int(values.rounds, 'rounds') }),
  },
  notes: {
    title: 'Notes: 1 000 notes after unlock, saving a 1 MiB note (issue 7)',
    flags: ['rounds'],
    run: () => notes.run({ rounds: int(values.rounds, 'rounds') }),
  },
  meet: {
    title: 'Meet: Join to the first remote frame, server CPU per room (issue 8)',
    flags: ['rounds'],
    run: () => meet.run({ rounds: int(values.rounds, 'rounds') }),
  },
  files: {
    title: 'Files: 200 MiB download and upload',
    flags: ['rounds'],
    run: () => files.run({ rounds: int(values.rounds, 'rounds') }),
  },
  backups: {
    title: 'Backups: 1 GiB database and 2 GiB of files (issue 9)',
    flags: ['db-mb', 'files-mb'],
    run: () =>
      backups.run({ dbMb: int(values['db-mb'], 'db-mb'), filesMb: int(values['files-mb'], 'files-mb') }),
  },
  crash: {
    title: 'Crash durability: SIGKILL mid-burst',
    flags: ['cycles', 'seed'],
    run: () => crash.run({ cycles: int(values.cycles, 'cycles'), seed: int(values.seed, 'seed') }),
  },
};

const unknown = positionals.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`);
  process.exit(2);
}
const selected = positionals.length > 0 ? positionals : Object.keys(BENCHES);

const date = new Date().toISOString().slice(0, 10);
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(`hearth bench ${date}: node ${process.version}, ${availableParallelism()} CPUs (${cpu})`);

/** @type {string[]} */
const sections = [];
let failed = false;
for (const name of selected) {
  const bench = /** @type {(typeof BENCHES)[string]} */ (BENCHES[name]);
  console.log(`\n## ${name}: ${bench.title}`);
  const started = Date.now();
  let command = `npm run bench -- ${name}`;
  for (const flag of bench.flags) if (values[flag] !== undefined) command += ` --${flag} ${values[flag]}`;
  try {
    const result = await bench.run();
    if (!result.ok) failed = true;
    sections.push(`## ${bench.title}\n\n\`${command}\` (${date})\n\n${result.markdown}`);
    console.log(
      `${name}: ${result.ok ? 'done' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
  } catch (err) {
    failed = true;
    console.error(`${name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
    sections.push(
      `## ${bench.title}\n\n\`${command}\` (${date})\n\nFailed: ${err instanceof Error ? err.message : err}`,
    );
  }
}

console.log('\n----- markdown for docs/BENCHMARKS.md -----\n');
console.log(sections.join('\n\n'));
console.log('\n----- end -----');
process.exit(failed ? 1 : 0);
