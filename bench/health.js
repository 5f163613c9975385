// GET /api/health under load: the real Hearth against a bare node:http server answering the same bytes
// with the same headers. Both run as child processes; the load generator (autocannon) runs here, in the
// bench process, so on a 2-core machine it competes with whichever server is being measured.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { removeDir, startHearth, tempDir } from '../tests/support/hearth.js';

export const HEALTH_PATH = '/api/health';

/**
 * What the baseline answers: status 200, these headers in this order, this body. Node adds Date,
 * Connection and Keep-Alive itself, as it does for Hearth. The health bench replaces this with what the
 * running Hearth actually sends, so the two always serve the same bytes.
 * @typedef {{ headers: [string, string][], body: string }} CannedResponse
 * @type {CannedResponse}
 */
export const HEALTH_RESPONSE = {
  headers: [
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'strict-origin-when-cross-origin'],
    ['X-Frame-Options', 'DENY'],
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['Content-Type', 'application/json'],
    ['Content-Length', '50'],
  ],
  body: '{"message":"API is healthy.","code":200,"data":{}}',
};

/** Headers Node's http server writes on its own; they are not part of the canned response. */
const AUTOMATIC_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

// The baseline: a bare node:http server, taking `--http host:port` like `hearth serve` and logging the
// same "server listening" JSON line, so it can be spawned and timed exactly like Hearth.
const BASELINE_SOURCE = `import { createServer } from 'node:http';
const canned = JSON.parse(process.env.BENCH_RESPONSE);
const body = Buffer.from(canned.body);
const headers = canned.headers.flat();
const [host, port] = process.argv[process.argv.indexOf('--http') + 1].split(':');
const server = createServer((req, res) => {
  if (req.url === ${JSON.stringify(HEALTH_PATH)}) {
    res.writeHead(200, headers);
    res.end(body);
  } else {
    res.writeHead(404, { 'Content-Length': '0' });
    res.end();
  }
});
server.listen(Number(port), host, () => {
  const address = server.address();
  console.log(JSON.stringify({ msg: 'server listening', url: 'http://' + host + ':' + address.port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/**
 * Writes the baseline server script into `dir` and returns its path.
 * @param {string} dir
 */
export function writeBaselineScript(dir) {
  const file = join(dir, 'baseline-server.mjs');
  writeFileSync(file, BASELINE_SOURCE);
  return file;
}

/**
 * @typedef {object} ServerProcess
 * @property {string} url
 * @property {import('node:child_process').ChildProcess} proc
 * @property {() => Promise<void>} stop  SIGTERM and wait for the exit
 */

/**
 * Spawns the baseline server (port 0) and resolves once it logged "server listening".
 * @param {string} script  from writeBaselineScript
 * @param {CannedResponse} [response]
 * @returns {Promise<ServerProcess>}
 */
export function startBaseline(script, response = HEALTH_RESPONSE) {
  const proc = spawn(process.execPath, [script, '--http', '127.0.0.1:0'], {
    env: { ...process.env, BENCH_RESPONSE: JSON.stringify(response) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const match = /"url":"([^"]+)"/.exec(out);
      if (!match?.[1]) return;
      resolve({
        url: match[1],
        proc,
        stop: async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`baseline server exited before listening\n${out}\n${err}`)));
  });
}

/**
 * One GET with node:http, keeping the raw header names and order.
 * @param {string} url
 * @returns {Promise<{ status: number, rawHeaders: string[], body: string }>}
 */
export function rawGet(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.end();
  });
}

/**
 * The response as the baseline should replay it (automatic headers left out).
 * @param {{ rawHeaders: string[], body: string }} res
 * @returns {CannedResponse}
 */
function canned(res) {
  /** @type {[string, string][]} */
  const headers = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = /** @type {string} */ (res.rawHeaders[i]);
    if (!AUTOMATIC_HEADERS.has(name.toLowerCase()))
      headers.push([name, /** @type {string} */ (res.rawHeaders[i + 1])]);
  }
  return { headers, body: res.body };
}

/**
 * @typedef {object} LoadFigures
 * @property {number} rps     requests per second (mean of the per-second samples)
 * @property {number} p50     latency, ms
 * @property {number} p99     latency, ms
 * @property {number} total   requests completed
 */

/**
 * Warm-up, then the measured run, with autocannon in this process.
 * @param {string} url
 * @param {{ connections: number, warmupSeconds: number, seconds: number }} load
 * @returns {Promise<LoadFigures>}
 */
async function load(url, { connections, warmupSeconds, seconds }) {
  const options = { url: url + HEALTH_PATH, connections, pipelining: 1 };
  if (warmupSeconds > 0) await autocannon({ ...options, duration: warmupSeconds });
  const r = await autocannon({ ...options, duration: seconds });
  if (r.errors > 0 || r.non2xx > 0 || r.timeouts > 0) {
    throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx responses`);
  }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total };
}

/** @param {number} n */
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
/** autocannon records latency in whole milliseconds. @param {number} n */
const ms = (n) => (n < 1 ? '< 1 ms' : `${Math.round(n)} ms`);

/**
 * @typedef {object} BenchOptions
 * @property {number} [connections]
 * @property {number} [seconds]
 * @property {number} [warmupSeconds]
 * @property {number} [rounds]
 */

/**
 * @param {BenchOptions} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const settings = {
    connections: options.connections ?? 50,
    seconds: options.seconds ?? 10,
    warmupSeconds: options.warmupSeconds ?? 2,
  };
  const rounds = options.rounds ?? 2;
  const work = tempDir('hearth-bench-health-');
  const hearth = await startHearth({ dir: join(work, 'data') });
  /** @type {ServerProcess | null} */
  let baseline = null;
  try {
    const reference = await rawGet(hearth.url + HEALTH_PATH);
    if (reference.status !== 200) throw new Error(`hearth ${HEALTH_PATH} answered ${reference.status}`);
    const response = canned(reference);
    baseline = await startBaseline(writeBaselineScript(work), response);
    const check = canned(await rawGet(baseline.url + HEALTH_PATH));
    if (JSON.stringify(check) !== JSON.stringify(response)) {
      throw new Error(
        `baseline does not answer the same bytes as hearth:\n${JSON.stringify(check)}\n${JSON.stringify(response)}`,
      );
    }

    console.log(
      `GET ${HEALTH_PATH}: ${settings.connections} connections, pipelining 1, ` +
        `${settings.warmupSeconds} s warm-up + ${settings.seconds} s measured, ${rounds} alternating rounds, best of each`,
    );
    console.log(
      `same bytes: ${response.headers.map(([name]) => name).join(', ')} + ${response.body.length}-byte body`,
    );
    console.log(
      'note: autocannon runs in this bench process; on a 2-core machine it competes with the server for CPU',
    );

    /** @type {LoadFigures | null} */
    let bestBaseline = null;
    /** @type {LoadFigures | null} */
    let bestHearth = null;
    for (let round = 1; round <= rounds; round++) {
      const b = await load(baseline.url, settings);
      console.log(`  round ${round} baseline: ${fmt(b.rps)} req/s, p50 ${ms(b.p50)}, p99 ${ms(b.p99)}`);
      if (!bestBaseline || b.rps > bestBaseline.rps) bestBaseline = b;
      const h = await load(hearth.url, settings);
      console.log(`  round ${round} hearth:   ${fmt(h.rps)} req/s, p50 ${ms(h.p50)}, p99 ${ms(h.p99)}`);
      if (!bestHearth || h.rps > bestHearth.rps) bestHearth = h;
    }
    if (!bestBaseline || !bestHearth) throw new Error('no rounds were run');

    const ratio = bestHearth.rps / bestBaseline.rps;
    const met = ratio >= 0.6;
    console.log(
      `baseline (bare node:http): ${fmt(bestBaseline.rps)} req/s, p50 ${ms(bestBaseline.p50)}, p99 ${ms(bestBaseline.p99)}`,
    );
    console.log(
      `hearth:                    ${fmt(bestHearth.rps)} req/s, p50 ${ms(bestHearth.p50)}, p99 ${ms(bestHearth.p99)}`,
    );
    console.log(`ratio hearth/baseline: ${ratio.toFixed(2)} (goal >= 0.60: ${met ? 'met' : 'NOT met'})`);

    const markdown = [
      '| server | req/s | p50 | p99 |',
      '| --- | ---: | ---: | ---: |',
      `| bare \`node:http\` (baseline) | ${fmt(bestBaseline.rps)} | ${ms(bestBaseline.p50)} | ${ms(bestBaseline.p99)} |`,
      `| Hearth | ${fmt(bestHearth.rps)} | ${ms(bestHearth.p50)} | ${ms(bestHearth.p99)} |`,
      '',
      `Ratio hearth/baseline (req/s): **${ratio.toFixed(2)}**. Goal ≥ 0.60: **${met ? 'met' : 'not met'}**.`,
      '',
      `${settings.connections} connections, pipelining 1, ${settings.warmupSeconds} s warm-up + ` +
        `${settings.seconds} s measured per run; baseline and Hearth alternated ${rounds} times, best run of each. ` +
        'autocannon runs in the bench process and competes with the server for the 2 cores.',
    ].join('\n');
    return { name: 'health', ok: true, markdown };
  } finally {
    await baseline?.stop();
    await hearth.stop();
    removeDir(work);
  }
}
