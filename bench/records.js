// The storage API figures of issue 3, each against a baseline measured in the same run:
// 1. list (perPage=20, skipTotal=1, with a list rule, 100 000 records) vs a bare node:http server
//    sending the same bytes; 2. creates at concurrency 100 vs a bare node:http server doing the same
//    JSON parse + one better-sqlite3 INSERT (WAL, synchronous=NORMAL); 3. the SDK's getFullList of the
//    100 000 records vs the same SELECT (+ JSON.stringify) straight through better-sqlite3.
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

const ADMIN = { email: 'bench-admin@example.com', password: 'bench admin password' };
const USERS = ['bench-user-a@example.com', 'bench-user-b@example.com'];
const LIST = 'bench_posts';
const CREATES = 'bench_creates';
const LIST_PATH = `/api/collections/${LIST}/records?perPage=20&skipTotal=1`;
const CREATE_BODY = JSON.stringify({ title: 'A new record from the bench', n: 42, done: true });
const AUTOMATIC_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const AUTODATES = [
  { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
  { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
];

/** 15 characters of [a-z0-9], like PocketBase ids. */
const newId = () => Array.from(randomBytes(15), (b) => (b % 36).toString(36)).join('');
/** PocketBase's date format. */
const now = () => new Date().toISOString().replace('T', ' ');
/** @param {number} n */
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** @param {string} url @param {string} method @param {unknown} [body] @param {string} [token] */
async function api(url, method, body, token) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) };
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * One GET with node:http, replayable by the baseline: status, raw headers (Node's own left out), body.
 * @param {string} url @param {string} token
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
        const raw = res.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) {
          if (!AUTOMATIC_HEADERS.has(String(raw[i]).toLowerCase()))
            headers.push([String(raw[i]), String(raw[i + 1])]);
        }
        resolve({ status: res.statusCode, canned: { headers, body: Buffer.concat(chunks).toString() } });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// The baseline, one process for both figures: any GET answers the canned list response (as in
// bench/health.js), a POST parses the JSON body and INSERTs one row into the same table as Hearth's.
/** @param {string} ddl */
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

/** @param {string} url @param {string} token @param {{ seconds: number, warmup: number }} o */
async function listLoad(url, token, o) {
  const options = { url: url + LIST_PATH, connections: 50, headers: { authorization: token } };
  await autocannon({ ...options, duration: o.warmup });
  const r = await autocannon({ ...options, duration: o.seconds });
  if (r.errors || r.timeouts || r.non2xx)
    throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

/**
 * Creates at concurrency 100: a timed warm-up gives the rate, then a fixed number of requests (about
 * `seconds` worth) so that every request sent gets its answer and rows can be matched to 2xx answers.
 * @param {string} url @param {string} dbFile @param {{ seconds: number, warmup: number }} o
 */
async function createLoad(url, dbFile, o) {
  const options = {
    url: `${url}/api/collections/${CREATES}/records`,
    method: /** @type {const} */ ('POST'),
    connections: 100,
    headers: { 'content-type': 'application/json' },
    body: CREATE_BODY,
  };
  const w = await autocannon({ ...options, duration: o.warmup });
  await new Promise((r) => setTimeout(r, 500)); // warm-up requests cut at the end may still commit
  const before = countRows(dbFile, CREATES);
  const amount = Math.max(1000, Math.round((w['2xx'] / o.warmup) * o.seconds));
  const start = performance.now();
  const r = await autocannon({ ...options, amount });
  const seconds = (performance.now() - start) / 1000;
  const rows = countRows(dbFile, CREATES) - before;
  return {
    rate: r['2xx'] / seconds,
    ok: r['2xx'],
    bad: r.non2xx + r.errors + r.timeouts,
    rows,
    p99: r.latency.p99,
  };
}

/**
 * @param {{ seconds?: number, rounds?: number, records?: number, warmup?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const o = { seconds: options.seconds ?? 10, warmup: options.warmup ?? 2 };
  const rounds = options.rounds ?? 2;
  const records = options.records ?? 100000;
  const work = tempDir('hearth-bench-records-');
  const dir = join(work, 'data');
  const dbFile = join(dir, 'data.db');
  const up = await runCli(['superuser', 'upsert', ADMIN.email, ADMIN.password, '--dir', dir]);
  if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
  let hearth = await startHearth({ dir });
  /** @type {import('./health.js').ServerProcess | null} */
  let baseline = null;
  try {
    // Setup through the API: two users, the two collections, then the rows straight into the table.
    const su = (
      await api(`${hearth.url}/api/collections/_superusers/auth-with-password`, 'POST', {
        identity: ADMIN.email,
        password: ADMIN.password,
      })
    ).token;
    /** @type {string[]} */
    const userIds = [];
    for (const email of USERS) {
      const password = 'bench user password';
      userIds.push(
        (
          await api(`${hearth.url}/api/collections/users/records`, 'POST', {
            email,
            password,
            passwordConfirm: password,
          })
        ).id,
      );
    }
    const listRule = 'public = true || owner = @request.auth.id';
    await api(
      `${hearth.url}/api/collections`,
      'POST',
      {
        name: LIST,
        type: 'base',
        listRule,
        fields: [
          { name: 'title', type: 'text' },
          { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
          { name: 'public', type: 'bool' },
          ...AUTODATES,
        ],
      },
      su,
    );
    await api(
      `${hearth.url}/api/collections`,
      'POST',
      {
        name: CREATES,
        type: 'base',
        createRule: '',
        fields: [
          { name: 'title', type: 'text' },
          { name: 'n', type: 'number' },
          { name: 'done', type: 'bool' },
          ...AUTODATES,
        ],
      },
      su,
    );
    await hearth.stop();
    const seedStart = performance.now();
    const db = new Database(dbFile);
    const insert = db.prepare(
      `INSERT INTO ${LIST} (id, title, owner, public, created, updated) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const ids = new Set();
    db.transaction(() => {
      for (let i = 0; i < records; i++) {
        let id = newId();
        while (ids.has(id)) id = newId();
        ids.add(id);
        const date = now();
        insert.run(
          id,
          `Post number ${i} of the records bench`,
          userIds[i % 2],
          i % 3 === 0 ? 1 : 0,
          date,
          date,
        );
      }
    })();
    const ddl = /** @type {{ sql: string }} */ (
      db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(CREATES)
    ).sql;
    db.close();
    console.log(
      `seeded ${fmt(records)} rows into ${LIST} in ${Math.round(performance.now() - seedStart)} ms (better-sqlite3, server stopped)`,
    );
    hearth = await startHearth({ dir });
    const userToken = (
      await api(`${hearth.url}/api/collections/users/auth-with-password`, 'POST', {
        identity: USERS[0],
        password: 'bench user password',
      })
    ).token;

    // 1. List.
    const reference = await capture(hearth.url + LIST_PATH, userToken);
    if (reference.status !== 200)
      throw new Error(`hearth ${LIST_PATH} answered ${reference.status}: ${reference.canned.body}`);
    const items = JSON.parse(reference.canned.body).items.length;
    writeFileSync(join(work, 'baseline.mjs'), baselineSource(ddl));
    baseline = await startBaseline(join(work, 'baseline.mjs'), reference.canned);
    const check = await capture(baseline.url + LIST_PATH, userToken);
    if (JSON.stringify(check.canned) !== JSON.stringify(reference.canned))
      throw new Error('the baseline does not answer the same bytes as hearth');
    console.log(
      `list: GET ${LIST_PATH} as a user (rule: ${listRule}), ${items} items, ${reference.canned.body.length}-byte body; 50 connections, ${o.warmup} s warm-up + ${o.seconds} s, ${rounds} alternating rounds, best of each`,
    );
    let bestBase = { rps: 0, p50: 0, p99: 0 };
    let bestHearth = bestBase;
    for (let round = 1; round <= rounds; round++) {
      const b = await listLoad(baseline.url, userToken, o);
      const h = await listLoad(hearth.url, userToken, o);
      console.log(
        `  round ${round}: baseline ${fmt(b.rps)} req/s, hearth ${fmt(h.rps)} req/s (p50 ${h.p50} ms, p99 ${h.p99} ms)`,
      );
      if (b.rps > bestBase.rps) bestBase = b;
      if (h.rps > bestHearth.rps) bestHearth = h;
    }
    const listRatio = bestHearth.rps / bestBase.rps;
    console.log(
      `list ratio hearth/baseline: ${listRatio.toFixed(2)} (goal >= 0.50: ${listRatio >= 0.5 ? 'met' : 'NOT met'})`,
    );

    // 2. Creates.
    console.log(
      `creates: POST ${CREATE_BODY} anonymously (createRule ""), 100 connections, ${o.warmup} s warm-up, then about ${o.seconds} s worth of requests`,
    );
    const baseFile = join(work, 'baseline.db');
    const cb = await createLoad(baseline.url, baseFile, o);
    const ch = await createLoad(hearth.url, dbFile, o);
    for (const [name, c] of /** @type {const} */ ([
      ['baseline', cb],
      ['hearth', ch],
    ])) {
      console.log(
        `  ${name}: ${fmt(c.rate)} creates/s, p99 ${c.p99} ms; ${fmt(c.ok)} 2xx, ${c.bad} other answers/errors, ${fmt(c.rows)} new rows`,
      );
    }
    const createsOk = ch.bad === 0 && ch.rows === ch.ok && cb.rows === cb.ok;
    const createRatio = ch.rate / cb.rate;
    console.log(
      `creates: ${fmt(ch.rate)}/s (goal >= 5,000/s: ${ch.rate >= 5000 ? 'met' : 'NOT met'}), ratio hearth/baseline ${createRatio.toFixed(2)}, rows = 2xx: ${createsOk ? 'yes' : 'NO'}`,
    );

    // 3. getFullList.
    const pb = new PocketBase(hearth.url);
    pb.authStore.save(su, null);
    const reader = new Database(dbFile, { readonly: true });
    const select = reader.prepare(`SELECT * FROM ${LIST} ORDER BY rowid`);
    let fullHearth = Infinity;
    let fullBase = Infinity;
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      bytes = JSON.stringify(select.all()).length;
      fullBase = Math.min(fullBase, performance.now() - t);
      t = performance.now();
      const list = await pb.collection(LIST).getFullList();
      fullHearth = Math.min(fullHearth, performance.now() - t);
      if (list.length !== records)
        throw new Error(`getFullList returned ${list.length} records, expected ${records}`);
    }
    reader.close();
    const fullRatio = fullHearth / fullBase;
    console.log(
      `getFullList of ${fmt(records)} records (best of 3): hearth ${Math.round(fullHearth)} ms, better-sqlite3 SELECT + JSON.stringify ${Math.round(fullBase)} ms (${(bytes / 1e6).toFixed(1)} MB); hearth takes ${fullRatio.toFixed(1)}x the time`,
    );

    const markdown = [
      '| figure | baseline | Hearth | ratio | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      `| list, perPage=20, skipTotal=1, list rule, ${fmt(records)} records, 50 connections | ${fmt(bestBase.rps)} req/s (bare \`node:http\`, same bytes) | ${fmt(bestHearth.rps)} req/s (p50 ${bestHearth.p50} ms, p99 ${bestHearth.p99} ms) | **${listRatio.toFixed(2)}** | ≥ 0.50: **${listRatio >= 0.5 ? 'met' : 'not met'}** |`,
      `| creates, 100 connections | ${fmt(cb.rate)}/s (bare \`node:http\` + one INSERT, WAL, synchronous=NORMAL) | ${fmt(ch.rate)}/s (p99 ${ch.p99} ms) | **${createRatio.toFixed(2)}** | ≥ 5,000/s: **${ch.rate >= 5000 ? 'met' : 'not met'}** |`,
      `| getFullList of ${fmt(records)} records (SDK, superuser) | ${Math.round(fullBase)} ms (same SELECT + JSON.stringify) | ${Math.round(fullHearth)} ms | **${fullRatio.toFixed(1)}×** the time | none set |`,
      '',
      `Creates: ${fmt(ch.ok)} 2xx answers, ${ch.bad} others, ${fmt(ch.rows)} new rows (rows = 2xx: **${createsOk ? 'yes' : 'no'}**).`,
      `List: ${o.warmup} s warm-up + ${o.seconds} s per run, ${rounds} alternating rounds, best of each. Creates: ${o.warmup} s warm-up, then a fixed number of requests (about ${o.seconds} s worth). getFullList: best of 3. autocannon runs in the bench process and competes with the server for the 2 cores.`,
    ].join('\n');
    return { name: 'records', ok: createsOk, markdown };
  } finally {
    await baseline?.stop();
    await hearth.stop();
    removeDir(work);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { seconds: { type: 'string' }, rounds: { type: 'string' }, records: { type: 'string' } },
  });
  const num = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  const result = await run({
    seconds: num(values.seconds),
    rounds: num(values.rounds),
    records: num(values.records),
  });
  console.log(`\n${result.markdown}`);
  process.exit(result.ok ? 0 : 1);
}
