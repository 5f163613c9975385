// Accounts (issue 5), each against a baseline measured in the same run:
// 1. auth-refresh at concurrency 100 vs a bare node:http server answering the same bytes
//    (PocketBase reports about 2,500/s on 2 vCPU);
// 2. password sign-ins (auth-with-password) at concurrency 8 vs a bare node:http server that only
//    verifies the same argon2id hash per request: sign-ins are bounded by argon2 by design
//    (19 MiB, 2 passes, 1 lane — OWASP's first profile), so that is the ceiling.
// Runs alone (`node bench/auth.js [--seconds N] [--rounds N]`) or from bench/run.js.
import autocannon from 'autocannon';
import { hash } from '@node-rs/argon2';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT, removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const USER = { email: 'bench-user@example.com', password: 'bench user password' };
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const fmt = (/** @type {number} */ n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** A bare node:http server: POST /refresh answers the canned bytes, POST /verify checks argon2. */
const BASELINE = `
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
const { verify } = createRequire(process.env.BENCH_ROOT + '/package.json')('@node-rs/argon2');
const canned = JSON.parse(process.env.BENCH_CANNED);
const stored = process.env.BENCH_HASH;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    if (req.url === '/refresh') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(canned) });
      res.end(canned);
      return;
    }
    const { password } = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    const ok = await verify(stored, String(password));
    res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
    res.end(ok ? canned : '{}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** @param {string} dir @param {string} canned @param {string} passwordHash */
function startBaseline(dir, canned, passwordHash) {
  const file = join(dir, 'baseline-auth.mjs');
  writeFileSync(file, BASELINE);
  const proc = spawn(process.execPath, [file], {
    // The script loads @node-rs/argon2 from Hearth's node_modules.
    env: { ...process.env, BENCH_CANNED: JSON.stringify(canned), BENCH_HASH: passwordHash, BENCH_ROOT: ROOT },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve({ url: m[1], stop: () => proc.kill('SIGTERM') });
    });
  });
}

/** @param {string} url @param {unknown} body @param {string} [token] */
async function post(url, body, token) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** @param {autocannon.Options} options @param {number} seconds */
async function load(options, seconds) {
  await autocannon({ ...options, duration: 2 });
  const r = await autocannon({ ...options, duration: seconds });
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(
      `${options.url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`,
    );
  }
  return { rate: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

/** @param {{ seconds?: number, rounds?: number }} [options] */
export async function run(options = {}) {
  const seconds = options.seconds ?? 10;
  const rounds = options.rounds ?? 2;
  const work = tempDir('hearth-bench-auth-');
  const dir = join(work, 'data');
  const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
  if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
  const hearth = await startHearth({ dir });
  /** @type {{ url: string, stop: () => void } | undefined} */
  let baseline;
  try {
    // The sign-in limit (5 at once per client) would answer most of c=8 with 429: this measures the
    // sign-in itself, so the limits are off for the run.
    const admin = await post(`${hearth.url}/api/collections/_superusers/auth-with-password`, ADMIN);
    const off = await fetch(`${hearth.url}/api/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: admin.token },
      body: JSON.stringify({ rateLimits: { enabled: false } }),
    });
    if (!off.ok) throw new Error(`turning rate limits off answered ${off.status}`);
    await post(`${hearth.url}/api/collections/users/records`, {
      ...USER,
      passwordConfirm: USER.password,
    });
    const signIn = await post(`${hearth.url}/api/collections/users/auth-with-password`, {
      identity: USER.email,
      password: USER.password,
    });
    const refreshed = await post(`${hearth.url}/api/collections/users/auth-refresh`, {}, signIn.token);
    baseline = /** @type {{ url: string, stop: () => void }} */ (
      await startBaseline(work, JSON.stringify(refreshed), await hash(USER.password, ARGON2))
    );

    const refreshOptions = (/** @type {string} */ url) => ({
      url,
      method: /** @type {const} */ ('POST'),
      connections: 100,
      headers: { authorization: signIn.token },
    });
    const signInBody = JSON.stringify({ identity: USER.email, password: USER.password });
    const signInOptions = (/** @type {string} */ url) => ({
      url,
      method: /** @type {const} */ ('POST'),
      connections: 8,
      body: signInBody,
      headers: { 'content-type': 'application/json' },
    });

    const best = { refreshBase: 0, refreshMine: 0, signInBase: 0, signInMine: 0 };
    /** @type {Record<string, { p50: number, p99: number }>} */
    const latency = {};
    for (let round = 1; round <= rounds; round++) {
      const rb = await load(refreshOptions(`${baseline.url}/refresh`), seconds);
      const rm = await load(refreshOptions(`${hearth.url}/api/collections/users/auth-refresh`), seconds);
      const sb = await load(signInOptions(`${baseline.url}/verify`), seconds);
      const sm = await load(signInOptions(`${hearth.url}/api/collections/users/auth-with-password`), seconds);
      console.log(
        `round ${round}: refresh ${fmt(rb.rate)} → ${fmt(rm.rate)}/s, sign-in ${sb.rate.toFixed(1)} → ${sm.rate.toFixed(1)}/s`,
      );
      if (rb.rate > best.refreshBase) [best.refreshBase, latency['refreshBase']] = [rb.rate, rb];
      if (rm.rate > best.refreshMine) [best.refreshMine, latency['refreshMine']] = [rm.rate, rm];
      if (sb.rate > best.signInBase) [best.signInBase, latency['signInBase']] = [sb.rate, sb];
      if (sm.rate > best.signInMine) [best.signInMine, latency['signInMine']] = [sm.rate, sm];
    }
    const lat = (/** @type {string} */ k) => `${latency[k]?.p50 ?? 0} / ${latency[k]?.p99 ?? 0} ms`;
    const markdown = [
      `Best of ${rounds} rounds of ${seconds} s each (after a 2 s warm-up), the servers taking turns.`,
      '',
      '| figure | baseline | Hearth | ratio | latency p50 / p99 (baseline → Hearth) |',
      '| --- | ---: | ---: | ---: | --- |',
      `| auth-refresh, c=100 | ${fmt(best.refreshBase)}/s | ${fmt(best.refreshMine)}/s | **${(best.refreshMine / best.refreshBase).toFixed(2)}** | ${lat('refreshBase')} → ${lat('refreshMine')} |`,
      `| auth-with-password, c=8 | ${best.signInBase.toFixed(1)}/s | ${best.signInMine.toFixed(1)}/s | **${(best.signInMine / best.signInBase).toFixed(2)}** | ${lat('signInBase')} → ${lat('signInMine')} |`,
      '',
      `auth-refresh baseline: a bare node:http server answering the same JSON bytes (PocketBase: about 2,500/s on 2 vCPU; Hearth here ${fmt(best.refreshMine)}/s). Sign-in baseline: a bare node:http server verifying the same argon2id hash per request (m=19456 KiB, t=2, p=1), the ceiling by design.`,
    ].join('\n');
    console.log(markdown);
    return { name: 'auth', ok: true, markdown };
  } finally {
    baseline?.stop();
    await hearth.stop();
    removeDir(work);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, rounds: { type: 'string' } } });
  const num = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  await run({ seconds: num(values.seconds), rounds: num(values.rounds) });
  process.exit(0);
}
