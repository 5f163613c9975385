// The storage API figures of issue 3, each against a baseline measured in the same run:
// 1. list (perPage=20, skipTotal=1, a list rule, 100 000 records) vs a bare node:http server sending
//    the same bytes; 2. creates at concurrency 100 vs a bare node:http server doing the same JSON parse
//    and one better-sqlite3 INSERT per request (WAL, synchronous=NORMAL, Hearth's durability); 3. the
//    SDK's getFullList of the 100 000 records vs the same SELECT (+ JSON.stringify) through better-sqlite3.
// Runs alone (`node bench/records.js [--seconds N] [--rounds N] [--records N]`) or from bench/run.js.
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import PocketBase from 'pocketbase';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT, removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';
import { startBaseline } from './health.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const USERS = ['bench-user-a@example.com', 'bench-user-b@example.com'];
const PASSWORD = 'bench user password';
const LIST = 'bench_posts';
const CREATES = 'bench_creates';
const LIST_RULE = 'public = true || owner = @request.auth.id';
const LIST_PATH = `/api/collections/${LIST}/records?perPage=20&skipTotal=1`;
const CREATE_BODY = JSON.stringify({ title: 'A new record from the bench', n: 42, done: true });
const AUTOMATIC_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const text = (/** @type {string} */ name) => ({ name, type: 'text' });
const bool = (/** @type {string} */ name) => ({ name, type: 'bool' });
const AUTODATES = [
  { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
  { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
];
const OWNER = { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 };
const COLLECTIONS = [
  { name: LIST, listRule: LIST_RULE, fields: [text('title'), OWNER, bool('public'), ...AUTODATES] },
  {
    name: CREATES,
    createRule: '',
    fields: [text('title'), { name: 'n', type: 'number' }, bool('done'), ...AUTODATES],
  },
];

/** 15 characters of [a-z0-9], like PocketBase ids. */
const newId = () => Array.from(randomBytes(15), (b) => (b % 36).toString(36)).join('');
/** @param {number} n */
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** @param {string} url @param {unknown} body @param {string} [token] */
async function post(url, body, token) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) };
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const answer = await res.text();
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${answer.slice(0, 500)}`);
  return JSON.parse(answer);
}

/**
 * One GET as the baseline must replay it: status, raw headers (without Node's own) and body.
 * @param {string} url @param {string} token
 * @returns {Promise<{ status: number, canned: import('./health.js').CannedResponse }>}
 */
function capture(url, token) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { authorization: token } }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        /** @type {[string, string][]} */
        const headers = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          const [name, value] = [String(res.rawHeaders[i]), String(res.rawHeaders[i + 1])];
          if (!AUTOMATIC_HEADERS.has(name.toLowerCase())) headers.push([name, value]);
        }
        resolve({ status: res.statusCode ?? 0, canned: { headers, body: Buffer.concat(chunks).toString() } });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// The baseline, one process for both load figures: a GET answers the canned list response (as in
// bench/health.js); a POST parses the JSON body and INSERTs one row into a copy of Hearth's table.
/** @param {string} ddl  Hearth's CREATE TABLE of the creates collection */
const baselineSource = (ddl) => `import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
const Database = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('better-sqlite3');
const canned = JSON.parse(process.env.BENCH_RESPONSE);
const body = Buffer.from(canned.body);
const headers = canned.headers.flat();
const db = new Database(new URL('./baseline.db', import.meta.url).pathname);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(${JSON.stringify(ddl)});
const insert = db.prepare('INSERT INTO ${CREATES} (id, title, n, done, created, updated) VALUES (@id, @title, @n, @done, @created, @updated)');
const newId = () => Array.from(randomBytes(15), (b) => (b % 36).toString(36)).join('');
const [host, port] = process.argv[process.argv.indexOf('--http') + 1].split(':');
const server = createServer((req, res) => {
  if (req.method === 'GET') return void res.writeHead(200, headers).end(body);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const input = JSON.parse(Buffer.concat(chunks).toString());
    const date = new Date().toISOString().replace('T', ' ');
    const row = { id: newId(), title: String(input.title), n: Number(input.n), done: input.done ? 1 : 0, created: date, updated: date };
    insert.run(row);
    const out = JSON.stringify({ collectionId: 'pbc_baseline', collectionName: '${CREATES}', ...row, done: row.done === 1 });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out) }).end(out);
  });
});
server.listen(Number(port), host, () => {
  console.log(JSON.stringify({ msg: 'server listening', url: 'http://' + host + ':' + server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Row count, read on a connection of its own. @param {string} file @param {string} table */
function countRows(file, table) {
  const db = new Database(file, { readonly: true });
  try {
    return /** @type {{ n: number }} */ (db.prepare(`SELECT count(*) AS n FROM ${table}`).get()).n;
  } finally {
    db.close();
  }
}

/** @typedef {{ seconds: number, warmup: number }} Timing */

/**
 * With `misses`, every request carries a different unused query parameter (`&n=1…5000`), so no answer
 * comes from Hearth's list cache (1000 entries) while the query and the work stay the same.
 * @param {string} url @param {string} token @param {Timing} t @param {boolean} [misses]
 */
async function listLoad(url, token, t, misses = false) {
  let n = 0;
  /** @type {import('autocannon').Request[] | undefined} */
  const requests = misses
    ? [{ setupRequest: (req) => ({ ...req, path: `${LIST_PATH}&n=${(n++ % 5000) + 1}` }) }]
    : undefined;
  const options = { url: url + LIST_PATH, connections: 50, headers: { authorization: token }, requests };
  await autocannon({ ...options, duration: t.warmup });
  const r = await autocannon({ ...options, duration: t.seconds });
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers`);
  }
  return { rate: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

/**
 * Creates at concurrency 100: a timed warm-up gives the rate, then a fixed number of requests (about
 * `seconds` worth), so every request sent gets its answer and new rows can be matched to 2xx answers.
 * @param {string} url @param {string} dbFile @param {Timing} t
 */
async function createLoad(url, dbFile, t) {
  const target = `${url}/api/collections/${CREATES}/records`;
  const options = { url: target, method: /** @type {const} */ ('POST'), connections: 100, body: CREATE_BODY };
  Object.assign(options, { headers: { 'content-type': 'application/json' } });
  const w = await autocannon({ ...options, duration: t.warmup });
  await new Promise((r) => setTimeout(r, 500)); // warm-up requests cut at its end may still commit
  const before = countRows(dbFile, CREATES);
  const amount = Math.max(1000, Math.round((w['2xx'] / t.warmup) * t.seconds));
  const start = performance.now();
  const r = await autocannon({ ...options, amount });
  const rate = r['2xx'] / ((performance.now() - start) / 1000);
  const rows = countRows(dbFile, CREATES) - before;
  return { rate, p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], bad: r.non2xx + r.errors, rows };
}

/**
 * Runs `measure` on the baseline and on Hearth, alternating, and keeps the best run of each.
 * @template {{ rate: number }} T
 * @param {number} rounds @param {(which: 'baseline' | 'hearth') => Promise<T>} measure
 * @param {(which: string, round: number, r: T) => void} report
 */
async function alternate(rounds, measure, report) {
  /** @type {{ baseline: T | null, hearth: T | null }} */
  const best = { baseline: null, hearth: null };
  for (let round = 1; round <= rounds; round++) {
    for (const which of /** @type {const} */ (['baseline', 'hearth'])) {
      const r = await measure(which);
      report(which, round, r);
      if (!best[which] || r.rate > best[which].rate) best[which] = r;
    }
  }
  if (!best.baseline || !best.hearth) throw new Error('no rounds were run');
  return { baseline: best.baseline, hearth: best.hearth };
}

/**
 * @param {{ seconds?: number, rounds?: number, records?: number, warmup?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const timing = { seconds: options.seconds ?? 10, warmup: options.warmup ?? 2 };
  const rounds = options.rounds ?? 2;
  const records = options.records ?? 100000;
  const work = tempDir('hearth-bench-records-');
  const dir = join(work, 'data');
  const dbFile = join(dir, 'data.db');
  const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
  if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
  let hearth = await startHearth({ dir });
  /** @type {import('./health.js').ServerProcess | null} */
  let baseline = null;
  try {
    // Setup through the API (two users, the two collections), then the rows straight into the table.
    const auth = (/** @type {string} */ c, /** @type {object} */ who) =>
      post(`${hearth.url}/api/collections/${c}/auth-with-password`, who).then((a) => String(a.token));
    const su = await auth('_superusers', ADMIN);
    /** @type {string[]} */
    const owners = [];
    for (const email of USERS) {
      const user = { email, password: PASSWORD, passwordConfirm: PASSWORD };
      owners.push((await post(`${hearth.url}/api/collections/users/records`, user)).id);
    }
    for (const c of COLLECTIONS) await post(`${hearth.url}/api/collections`, { type: 'base', ...c }, su);
    await hearth.stop();
    const seedStart = performance.now();
    const db = new Database(dbFile);
    const insert = db.prepare(`INSERT INTO ${LIST} VALUES (?, ?, ?, ?, ?, ?)`); // columns as in COLLECTIONS
    const ids = new Set();
    db.transaction(() => {
      for (let i = 0; i < records; i++) {
        let id = newId();
        while (ids.has(id)) id = newId();
        ids.add(id);
        const date = new Date(Date.now() - (records - i) * 1000).toISOString().replace('T', ' ');
        insert.run(id, `Post number ${i} of the bench`, owners[i % 2], i % 3 === 0 ? 1 : 0, date, date);
      }
    })();
    const ddl = db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(CREATES);
    db.close();
    const seedMs = Math.round(performance.now() - seedStart);
    console.log(`seeded ${fmt(records)} rows into ${LIST} in ${seedMs} ms (better-sqlite3, server stopped)`);
    hearth = await startHearth({ dir });
    const userToken = await auth('users', { identity: USERS[0], password: PASSWORD });

    // 1. List, as user A: public rows and A's own pass the rule (2 of every 3 rows).
    const reference = await capture(hearth.url + LIST_PATH, userToken);
    if (reference.status !== 200)
      throw new Error(`hearth answered ${reference.status}: ${reference.canned.body}`);
    writeFileSync(join(work, 'baseline.mjs'), baselineSource(String(ddl)));
    baseline = await startBaseline(join(work, 'baseline.mjs'), reference.canned);
    const check = await capture(baseline.url + LIST_PATH, userToken);
    if (JSON.stringify(check.canned) !== JSON.stringify(reference.canned)) {
      throw new Error('the baseline does not answer the same bytes as hearth');
    }
    const items = JSON.parse(reference.canned.body).items.length;
    console.log(
      `list: GET ${LIST_PATH} as a user, rule \`${LIST_RULE}\`, ${items} items, ` +
        `${reference.canned.body.length}-byte body; 50 connections, ${timing.warmup} s warm-up + ` +
        `${timing.seconds} s, ${rounds} alternating rounds, best of each`,
    );
    const urls = { baseline: baseline.url, hearth: hearth.url };
    const list = await alternate(
      rounds,
      (which) => listLoad(urls[which], userToken, timing),
      (which, round, r) =>
        console.log(`  round ${round} ${which}: ${fmt(r.rate)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`),
    );
    const listRatio = list.hearth.rate / list.baseline.rate;
    const listMet = listRatio >= 0.5 ? 'met' : 'not met';
    console.log(`list ratio hearth/baseline: ${listRatio.toFixed(2)} (goal >= 0.50: ${listMet})`);
    console.log('list, every request a cache miss (an unused &n=1…5000 parameter varies the key):');
    const missed = await alternate(
      rounds,
      (which) => listLoad(urls[which], userToken, timing, true),
      (which, round, r) =>
        console.log(`  round ${round} ${which}: ${fmt(r.rate)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`),
    );
    const missRatio = missed.hearth.rate / missed.baseline.rate;
    console.log(`list (cache misses) ratio hearth/baseline: ${missRatio.toFixed(2)}`);

    // 2. Creates, anonymous (createRule ""), each checked against the rows that appeared.
    console.log(
      `creates: POST ${CREATE_BODY}, 100 connections, ${timing.warmup} s warm-up, then about ` +
        `${timing.seconds} s worth of requests; ${rounds} alternating rounds, best of each`,
    );
    const files = { baseline: join(work, 'baseline.db'), hearth: dbFile };
    let rowsMatch = true;
    const creates = await alternate(
      rounds,
      (which) => createLoad(urls[which], files[which], timing),
      (which, round, r) => {
        rowsMatch &&= r.rows === r.ok && r.bad === 0;
        console.log(
          `  round ${round} ${which}: ${fmt(r.rate)} creates/s, p50 ${r.p50} ms, p99 ${r.p99} ms; ` +
            `${fmt(r.ok)} 2xx, ${r.bad} other answers or errors, ${fmt(r.rows)} new rows`,
        );
      },
    );
    const createRatio = creates.hearth.rate / creates.baseline.rate;
    const createMet = creates.hearth.rate >= 5000 ? 'met' : 'not met';
    console.log(
      `creates: hearth ${fmt(creates.hearth.rate)}/s (goal >= 5,000/s: ${createMet}), ratio hearth/baseline ` +
        `${createRatio.toFixed(2)}; new rows = 2xx answers in every run: ${rowsMatch ? 'yes' : 'NO'}`,
    );

    // 3. getFullList (the SDK pages through it, 1000 per request) vs the same SELECT, best of 3 each.
    const pb = new PocketBase(hearth.url);
    pb.authStore.save(su, null);
    const reader = new Database(dbFile, { readonly: true });
    const select = reader.prepare(`SELECT * FROM ${LIST} ORDER BY rowid`);
    const full = { baseline: Infinity, hearth: Infinity, bytes: 0 };
    for (let i = 0; i < 3; i++) {
      let start = performance.now();
      full.bytes = JSON.stringify(select.all()).length;
      full.baseline = Math.min(full.baseline, performance.now() - start);
      start = performance.now();
      const got = await pb.collection(LIST).getFullList();
      full.hearth = Math.min(full.hearth, performance.now() - start);
      if (got.length !== records)
        throw new Error(`getFullList returned ${got.length} records, not ${records}`);
    }
    reader.close();
    const fullRatio = full.hearth / full.baseline;
    console.log(
      `getFullList of ${fmt(records)} records: hearth ${Math.round(full.hearth)} ms, SELECT + JSON.stringify ` +
        `${Math.round(full.baseline)} ms (${(full.bytes / 1e6).toFixed(1)} MB); hearth takes ${fullRatio.toFixed(1)}x the time`,
    );

    const markdown = [
      '| figure | baseline | Hearth | ratio Hearth/baseline | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      `| list, perPage=20, skipTotal=1, list rule, ${fmt(records)} records, 50 connections | ${fmt(list.baseline.rate)} req/s | ${fmt(list.hearth.rate)} req/s (p50 ${list.hearth.p50} ms, p99 ${list.hearth.p99} ms) | **${listRatio.toFixed(2)}** | ≥ 0.50: **${listMet}** |`,
      `| the same list, every request a cache miss | ${fmt(missed.baseline.rate)} req/s | ${fmt(missed.hearth.rate)} req/s (p50 ${missed.hearth.p50} ms, p99 ${missed.hearth.p99} ms) | **${missRatio.toFixed(2)}** | (no goal; shows the work a hit saves) |`,
      `| creates, 100 connections | ${fmt(creates.baseline.rate)}/s | ${fmt(creates.hearth.rate)}/s (p50 ${creates.hearth.p50} ms, p99 ${creates.hearth.p99} ms) | **${createRatio.toFixed(2)}** | ≥ 5,000/s: **${createMet}** |`,
      `| getFullList of ${fmt(records)} records (SDK, superuser) | ${Math.round(full.baseline)} ms | ${Math.round(full.hearth)} ms | **${fullRatio.toFixed(1)}×** the time | none |`,
      '',
      `Creates: new rows = 2xx answers in every run: **${rowsMatch ? 'yes' : 'no'}** ` +
        `(Hearth's best run: ${fmt(creates.hearth.ok)} 2xx, ${creates.hearth.bad} others, ${fmt(creates.hearth.rows)} rows).`,
    ].join('\n');
    return { name: 'records', ok: rowsMatch, markdown };
  } finally {
    await baseline?.stop();
    await hearth.stop();
    removeDir(work);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = /** @type {const} */ ({ type: 'string' });
  const { values } = parseArgs({ options: { seconds: flag, rounds: flag, records: flag } });
  const num = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  const { seconds, rounds, records } = values;
  const result = await run({ seconds: num(seconds), rounds: num(rounds), records: num(records) });
  console.log(`\n${result.markdown}`);
  process.exit(result.ok ? 0 : 1);
}
