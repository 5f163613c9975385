// Realtime at scale (issue 4): N clients (10 000 by default) hold a `GET /api/realtime` stream and
// subscribe to one collection; the bench measures the server's resident memory for them and how long
// one record event takes to reach them (p50 and p99 over clients, and the last one). Baseline, in the same run: a bare node:http server
// holding the same number of SSE streams and writing the same-sized event to each.
// Runs alone (`node bench/realtime.js [--clients N] [--events N]`) or from bench/run.js.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const COLLECTION = 'bench_feed';
const fmt = (/** @type {number} */ n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, in bytes (Linux). @param {number} pid */
function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const BASELINE = `
import { createServer } from 'node:http';
const streams = new Set();
const server = createServer((req, res) => {
  if (req.url.startsWith('/emit')) {
    const size = Number(new URL(req.url, 'http://x').searchParams.get('size'));
    const frame = 'id:x\\nevent:${COLLECTION}/*\\ndata:' + 'x'.repeat(size) + '\\n\\n';
    for (const s of streams) s.write(frame);
    res.end('ok');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write('id:x\\nevent:PB_CONNECT\\ndata:{"clientId":"x"}\\n\\n');
  streams.add(res);
  req.on('close', () => streams.delete(res));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
`;

/** Starts the bare baseline process. @param {string} dir */
function startBaseline(dir) {
  const file = join(dir, 'baseline.mjs');
  writeFileSync(file, BASELINE);
  const proc = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve({ url: m[1], pid: proc.pid, stop: () => proc.kill('SIGTERM') });
    });
  });
}

/**
 * Opens `n` SSE streams over raw sockets; resolves with their client ids and a counter of events seen
 * per stream (frames naming the collection topic).
 * @param {string} url @param {number} n
 */
async function openStreams(url, n) {
  const { hostname, port } = new URL(url);
  const counts = new Uint32Array(n);
  /** When each stream last received an event (performance.now()). */
  const arrived = new Float64Array(n);
  /** @type {import('node:net').Socket[]} */
  const sockets = [];
  const ids = /** @type {string[]} */ ([]);
  for (let start = 0; start < n; start += 200) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + 200); i++) {
      batch.push(
        new Promise((resolve, reject) => {
          const socket = connect(Number(port), hostname);
          sockets.push(socket);
          socket.setEncoding('utf8');
          let head = '';
          socket.on('error', reject);
          socket.on('data', (/** @type {string} */ chunk) => {
            if (ids[i] === undefined) {
              head += chunk;
              const m = /data:\{"clientId":"([\w-]+)"\}/.exec(head);
              if (m) {
                ids[i] = m[1] ?? '';
                resolve(undefined);
              }
              return;
            }
            const seen = chunk.split(`event:${COLLECTION}/*`).length - 1;
            if (seen > 0) {
              counts[i] = (counts[i] ?? 0) + seen;
              arrived[i] = performance.now();
            }
          });
          socket.write(`GET /api/realtime HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
        }),
      );
    }
    await Promise.all(batch);
  }
  return { ids, counts, arrived, close: () => sockets.forEach((s) => s.destroy()) };
}

/**
 * Waits until every counter reached `target`; each client's delay in ms, sorted.
 * @param {Uint32Array} counts @param {Float64Array} arrived @param {number} target @param {number} since
 */
async function allReceived(counts, arrived, target, since) {
  for (;;) {
    if (counts.every((c) => c >= target)) return Array.from(arrived, (t) => t - since).sort((a, b) => a - b);
    if (performance.now() - since > 60_000) throw new Error('events did not reach every client in 60 s');
    await sleep(1);
  }
}

/** @param {{ clients?: number, events?: number }} [options] */
export async function run(options = {}) {
  const clients = options.clients ?? 10_000;
  const events = options.events ?? 5;
  const work = tempDir('hearth-bench-realtime-');
  const dir = join(work, 'data');
  const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
  if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
  const hearth = await startHearth({ dir });
  const baseline = /** @type {{ url: string, pid: number, stop: () => void }} */ (await startBaseline(work));
  try {
    const json = { 'content-type': 'application/json' };
    const auth = await fetch(`${hearth.url}/api/collections/_superusers/auth-with-password`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(ADMIN),
    }).then((r) => r.json());
    const admin = { ...json, authorization: String(auth.token) };
    const fields = [{ name: 'title', type: 'text' }];
    const made = await fetch(`${hearth.url}/api/collections`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: COLLECTION, listRule: '', fields }),
    });
    if (!made.ok) throw new Error(`collection create failed: ${made.status} ${await made.text()}`);

    const measure = async (/** @type {'hearth' | 'baseline'} */ which) => {
      const url = which === 'hearth' ? hearth.url : baseline.url;
      const pid = which === 'hearth' ? Number(hearth.proc.pid) : baseline.pid;
      await sleep(500);
      const idle = rss(pid);
      const streams = await openStreams(url, clients);
      if (which === 'hearth') {
        const ids = [...streams.ids];
        await Promise.all(
          Array.from({ length: 50 }, async () => {
            for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
              const res = await fetch(`${url}/api/realtime`, {
                method: 'POST',
                headers: json,
                body: JSON.stringify({ clientId: id, subscriptions: [`${COLLECTION}/*`] }),
              });
              if (res.status !== 204) throw new Error(`subscribe answered ${res.status}`);
            }
          }),
        );
      }
      await sleep(500);
      const connected = rss(pid);
      /** @type {number[][]} */
      const delays = [];
      for (let e = 1; e <= events; e++) {
        const since = performance.now();
        if (which === 'hearth') {
          const res = await fetch(`${url}/api/collections/${COLLECTION}/records`, {
            method: 'POST',
            headers: admin,
            body: JSON.stringify({ title: `event ${e}` }),
          });
          if (!res.ok) throw new Error(`create answered ${res.status}`);
        } else {
          await fetch(`${url}/emit?size=180`);
        }
        delays.push(await allReceived(streams.counts, streams.arrived, e, since));
      }
      const after = rss(pid);
      streams.close();
      // Per event: the delay by which half, 99 % and all of the clients had it; the median event's.
      const at = (/** @type {number[]} */ d, /** @type {number} */ q) =>
        d[Math.min(d.length - 1, Math.floor(q * d.length))] ?? 0;
      const median = (/** @type {number[]} */ v) => v.sort((a, b) => a - b)[v.length >> 1] ?? 0;
      return {
        idle,
        connected,
        after,
        p50: median(delays.map((d) => at(d, 0.5))),
        p99: median(delays.map((d) => at(d, 0.99))),
        fanoutMedian: median(delays.map((d) => d[d.length - 1] ?? 0)),
      };
    };

    const base = await measure('baseline');
    const mine = await measure('hearth');
    // Per idle client, as the goal reads: subscribed, before any event (garbage from fan-out aside).
    const perClient = (/** @type {typeof base} */ r) => (r.connected - r.idle) / clients;
    const memRatio = perClient(mine) / perClient(base);
    const timeRatio = mine.p99 / base.p99;
    const line = (/** @type {string} */ name, /** @type {typeof base} */ r) =>
      `| ${name} | ${fmt(r.idle / 1048576)} MiB | ${fmt(r.connected / 1048576)} MiB | ${fmt(r.after / 1048576)} MiB | ${fmt(perClient(r))} B | ${r.p50.toFixed(0)} ms | ${r.p99.toFixed(0)} ms | ${r.fanoutMedian.toFixed(0)} ms |`;
    const markdown = [
      `${fmt(clients)} clients on one collection topic, ${events} events; delay from sending the event until a client has it: p50 and p99 over the clients, and the last client (median over the events)`,
      '',
      '| server | RSS idle | RSS with idle clients | after the events | per idle client | p50 | p99 | last client |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      line('bare node:http SSE', base),
      line('Hearth', mine),
      '',
      `Memory per client: **${memRatio.toFixed(1)}×** the bare server's; p99 delay: **${timeRatio.toFixed(1)}×** its time, goal p99 < 250 ms: **${mine.p99 < 250 ? 'met' : 'missed'}**; per client goal < 20 KB: **${perClient(mine) < 20_000 ? 'met' : 'missed'}** (Hearth checks the list rule and builds the record JSON per subscriber).`,
    ].join('\n');
    console.log(markdown);
    return { name: 'realtime', ok: true, markdown };
  } finally {
    baseline.stop();
    await hearth.stop();
    removeDir(work);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, events: { type: 'string' } } });
  const num = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  await run({ clients: num(values.clients), events: num(values.events) });
  process.exit(0);
}
