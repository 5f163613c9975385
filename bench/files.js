// Files: one large file (200 MiB by default) through Hearth's files API, each figure against a
// baseline measured in the same run on the same bytes:
// 1. download, `GET /api/files/{collection}/{recordId}/{filename}`, vs a bare node:http server in its
//    own process streaming the same stored file with `fs.createReadStream(path).pipe(res)`: one at a
//    time and 4 at once, MiB/s and the ratio (goal >= 0.8);
// 2. upload, a multipart `POST /api/collections/{c}/records` (as the SDK sends a File), vs a raw disk
//    write of the same bytes (`fs.createReadStream` → `fs.createWriteStream` into the same temp folder),
//    and the Hearth process's peak resident memory over its RSS just before the upload (flat memory:
//    the growth must not follow the file's size; goal < 64 MiB for 200 MiB).
// Both servers are child processes; the client (node:http, chunks counted and dropped) runs here.
// Runs alone (`node bench/files.js [--size N] [--rounds N]`, N in MiB for --size) or from bench/run.js.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const COLLECTION = 'bench_files';
const FIELD = 'doc';
const MiB = 1024 * 1024;
const PARALLEL = 4;
const DOWNLOAD_GOAL = 0.8;
const MEMORY_GOAL = 64 * MiB;
const fmt = (/** @type {number} */ n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, in bytes (Linux). @param {number} pid */
function rss(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU time a process has used (user + system), in ms (Linux, 100 ticks a second). @param {number} pid */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime and stime, fields 14 and 15
}

/**
 * Samples a process's RSS every 10 ms until stopped; `stop()` gives the peak.
 * @param {number} pid
 */
function sampleRss(pid) {
  let peak = rss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rss(pid));
    },
  };
}

// The baseline: a bare node:http server answering every GET with the file, streamed by node:fs with
// its default 64 KiB reads; under /256k/ with 256 KiB reads, the highWaterMark Hearth's files.serve uses.
const BASELINE = `
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
const file = process.env.BENCH_FILE;
const server = createServer((req, res) => {
  const { size } = statSync(file);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  const options = req.url.startsWith('/256k/') ? { highWaterMark: 256 * 1024 } : {};
  createReadStream(file, options).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts the bare baseline process serving `file`. @param {string} dir @param {string} file */
function startBaseline(dir, file) {
  const script = join(dir, 'baseline.mjs');
  writeFileSync(script, BASELINE);
  const proc = spawn(process.execPath, [script], {
    env: { ...process.env, BENCH_FILE: file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  return /** @type {Promise<{ url: string, pid: number, stop: () => Promise<void> }>} */ (
    new Promise((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /"url":"([^"]+)"/.exec(out);
        if (m?.[1])
          resolve({
            url: m[1],
            pid: Number(proc.pid),
            stop: async () => {
              if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
              await exited;
            },
          });
      });
      void exited.then(() => reject(new Error(`baseline exited before listening\n${out}`)));
    })
  );
}

/** `size` random bytes written in 1 MiB chunks (never the whole file in memory). @param {string} path @param {number} size */
function writeRandomFile(path, size) {
  const fd = openSync(path, 'w');
  try {
    for (let left = size; left > 0; left -= MiB) writeSync(fd, randomBytes(Math.min(MiB, left)));
  } finally {
    closeSync(fd);
  }
}

/**
 * One GET read to its end with node:http, chunks counted and dropped; the time in ms.
 * @param {string} url @param {number} size  the bytes the body must have
 */
function download(url, size) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (/** @type {Buffer} */ chunk) => {
        bytes += chunk.length;
      });
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url} answered ${res.statusCode}`));
        if (bytes !== size) return reject(new Error(`GET ${url} gave ${bytes} bytes, not ${size}`));
        resolve(performance.now() - start);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The file as the SDK sends a File: one multipart part, the body streamed from disk with an exact
 * Content-Length, so the client's memory stays flat too. Resolves with the time in ms and the record.
 * @param {string} url @param {string} token @param {string} file @param {number} size
 */
function upload(url, token, file, size) {
  const boundary = `----hearthbench${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${FIELD}"; filename="big.bin"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return /** @type {Promise<{ ms: number, record: Record<string, unknown> }>} */ (
    new Promise((resolve, reject) => {
      const start = performance.now();
      const req = request(
        `${url}/api/collections/${COLLECTION}/records`,
        {
          method: 'POST',
          agent: false,
          headers: {
            authorization: token,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': head.length + size + tail.length,
          },
        },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - start;
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200)
              return reject(new Error(`upload answered ${res.statusCode}: ${text.slice(0, 500)}`));
            resolve({ ms, record: JSON.parse(text) });
          });
        },
      );
      req.on('error', reject);
      req.write(head);
      const body = createReadStream(file);
      body.on('error', reject);
      body.on('end', () => req.end(tail));
      body.pipe(req, { end: false });
    })
  );
}

/** The raw disk write: the same bytes copied by node:fs streams to a new file; the time in ms. @param {string} from @param {string} to */
async function diskWrite(from, to) {
  const start = performance.now();
  await pipeline(createReadStream(from), createWriteStream(to));
  const ms = performance.now() - start;
  rmSync(to);
  return ms;
}

/** @param {string} url @param {string} token @param {string} method @param {string} path @param {unknown} [body] */
async function api(url, token, method, path, body) {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) };
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** MiB/s for `bytes` in `ms`. @param {number} bytes @param {number} ms */
const rate = (bytes, ms) => bytes / MiB / (ms / 1000);
/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

/**
 * @param {{ size?: number, rounds?: number }} [options]  size in bytes
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const size = options.size ?? 200 * MiB;
  const rounds = options.rounds ?? 5;
  const mib = `${fmt(size / MiB)} MiB`;
  const work = tempDir('hearth-bench-files-');
  const dir = join(work, 'data');
  const source = join(work, 'big.bin');
  const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
  if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
  const hearth = await startHearth({ dir });
  /** @type {Awaited<ReturnType<typeof startBaseline>> | null} */
  let baseline = null;
  try {
    const hearthPid = Number(hearth.proc.pid);
    const auth = await api(hearth.url, '', 'POST', '/api/collections/_superusers/auth-with-password', ADMIN);
    const token = String(auth.token);
    await api(hearth.url, token, 'POST', '/api/collections', {
      name: COLLECTION,
      type: 'base',
      listRule: '',
      viewRule: '',
      createRule: '',
      fields: [{ name: FIELD, type: 'file', maxSize: Math.max(300 * MiB, size + MiB) }],
    });
    const made = performance.now();
    writeRandomFile(source, size);
    console.log(`wrote ${mib} of random bytes in ${fmt(performance.now() - made)} ms (${source})`);

    // 1. Uploads, alternating with the raw disk write; Hearth's RSS sampled during each upload.
    console.log(
      `upload: multipart POST /api/collections/${COLLECTION}/records (superuser), ${mib} streamed from disk ` +
        `by the client; baseline: fs.createReadStream → fs.createWriteStream; ${rounds} alternating rounds`,
    );
    /** @type {{ ms: number, growth: number, before: number, peak: number }[]} */
    const uploads = [];
    /** @type {number[]} */
    const writes = [];
    /** @type {Record<string, unknown> | null} */
    let kept = null;
    for (let round = 1; round <= rounds; round++) {
      const w = await diskWrite(source, join(work, `copy-${round}.bin`));
      writes.push(w);
      console.log(`  round ${round} disk write: ${fmt(w)} ms, ${fmt(rate(size, w))} MiB/s`);
      await sleep(500);
      const before = rss(hearthPid);
      const sampler = sampleRss(hearthPid);
      const { ms, record } = await upload(hearth.url, token, source, size);
      const peak = sampler.stop();
      uploads.push({ ms, growth: peak - before, before, peak });
      console.log(
        `  round ${round} hearth upload: ${fmt(ms)} ms, ${fmt(rate(size, ms))} MiB/s; RSS ` +
          `${fmt(before / MiB)} MiB before, peak ${fmt(peak / MiB)} MiB (+${fmt((peak - before) / MiB, 1)} MiB)`,
      );
      if (!kept) kept = record;
      else await api(hearth.url, token, 'DELETE', `/api/collections/${COLLECTION}/records/${record.id}`);
    }
    if (!kept) throw new Error('no upload was made');
    const bestUpload = Math.min(...uploads.map((u) => u.ms));
    const bestWrite = Math.min(...writes);
    const uploadRatio = bestWrite / bestUpload;
    const maxGrowth = Math.max(...uploads.map((u) => u.growth));
    const memoryMet = maxGrowth < MEMORY_GOAL;
    console.log(
      `upload ratio hearth/disk write (MiB/s, best of each): ${uploadRatio.toFixed(2)} ` +
        `(${fmt(rate(size, bestUpload))} vs ${fmt(rate(size, bestWrite))} MiB/s)`,
    );
    console.log(
      `hearth RSS growth during a ${mib} upload: at most ${fmt(maxGrowth / MiB, 1)} MiB ` +
        `(goal < ${fmt(MEMORY_GOAL / MiB)} MiB: ${memoryMet ? 'met' : 'NOT met'})`,
    );

    // The stored file, served by both servers from the same path (same bytes, same page cache).
    const name = String(kept[FIELD]);
    const stored = join(dir, 'storage', String(kept.collectionId), String(kept.id), name);
    if (!existsSync(stored) || statSync(stored).size !== size)
      throw new Error(`the stored file ${stored} is missing or has the wrong size`);
    baseline = await startBaseline(work, stored);
    /** @typedef {'baseline' | 'baseline256' | 'hearth'} Server */
    /** @type {Server[]} */
    const servers = ['baseline', 'baseline256', 'hearth'];
    /** @type {Record<Server, string>} */
    const urls = {
      baseline: `${baseline.url}/${name}`,
      baseline256: `${baseline.url}/256k/${name}`,
      hearth: `${hearth.url}/api/files/${COLLECTION}/${kept.id}/${name}`,
    };
    /** @type {Record<Server, number>} */
    const pids = { baseline: baseline.pid, baseline256: baseline.pid, hearth: hearthPid };
    const label = { baseline: 'baseline', baseline256: 'baseline 256 KiB', hearth: 'hearth' };

    // 2. Downloads: one at a time, then PARALLEL at once, the servers taking turns; best of each.
    console.log(
      `download: GET ${urls.hearth.slice(hearth.url.length)} (public, viewRule "") vs a bare node:http ` +
        `process piping fs.createReadStream of the same stored file (default 64 KiB reads; "baseline ` +
        `256 KiB": highWaterMark 256 KiB, as Hearth reads); client node:http, chunks counted and dropped; ` +
        `${rounds} rounds taking turns after one warm-up download each`,
    );
    for (const which of servers) await download(urls[which], size);
    /** @type {Record<Server, { single: number[], parallel: number[], growth: number, cpu: number }>} */
    const runs = {
      baseline: { single: [], parallel: [], growth: 0, cpu: 0 },
      baseline256: { single: [], parallel: [], growth: 0, cpu: 0 },
      hearth: { single: [], parallel: [], growth: 0, cpu: 0 },
    };
    for (let round = 1; round <= rounds; round++) {
      for (const which of servers) {
        await sleep(200);
        const before = rss(pids[which]);
        const sampler = sampleRss(pids[which]);
        const cpuBefore = cpuMs(pids[which]);
        const one = await download(urls[which], size);
        const start = performance.now();
        await Promise.all(Array.from({ length: PARALLEL }, () => download(urls[which], size)));
        const all = performance.now() - start;
        const r = runs[which];
        r.growth = Math.max(r.growth, sampler.stop() - before);
        r.cpu += cpuMs(pids[which]) - cpuBefore;
        r.single.push(one);
        r.parallel.push(all);
        console.log(
          `  round ${round} ${label[which].padEnd(16)}: 1 download ${fmt(rate(size, one))} MiB/s; ` +
            `${PARALLEL} at once ${fmt(rate(PARALLEL * size, all))} MiB/s in all`,
        );
      }
    }
    /** The server process's CPU time per downloaded MiB, in ms. @param {Server} which */
    const cpuPerMiB = (which) => runs[which].cpu / ((rounds * (1 + PARALLEL) * size) / MiB);
    console.log(
      `server CPU per downloaded MiB: baseline ${cpuPerMiB('baseline').toFixed(2)} ms, baseline 256 KiB ` +
        `${cpuPerMiB('baseline256').toFixed(2)} ms, hearth ${cpuPerMiB('hearth').toFixed(2)} ms`,
    );
    const best = (/** @type {Server} */ which, /** @type {'single' | 'parallel'} */ kind) =>
      Math.min(...runs[which][kind]);
    /** Hearth's MiB/s over a baseline's, best of each. @param {Server} base @param {'single' | 'parallel'} kind */
    const ratio = (base, kind) => best(base, kind) / best('hearth', kind);
    const singleRatio = ratio('baseline', 'single');
    const parallelRatio = ratio('baseline', 'parallel');
    const medianRatio = median(runs.baseline.single) / median(runs.hearth.single);
    const downloadMet = singleRatio >= DOWNLOAD_GOAL && parallelRatio >= DOWNLOAD_GOAL;
    console.log(
      `download ratio hearth/baseline (MiB/s, best of each): 1 at a time ${singleRatio.toFixed(2)} ` +
        `(medians ${medianRatio.toFixed(2)}), ${PARALLEL} at once ${parallelRatio.toFixed(2)} ` +
        `(goal >= ${DOWNLOAD_GOAL.toFixed(2)}: ${downloadMet ? 'met' : 'NOT met'}); against the 256 KiB ` +
        `baseline: ${ratio('baseline256', 'single').toFixed(2)} and ${ratio('baseline256', 'parallel').toFixed(2)}`,
    );

    const mibs = (/** @type {number} */ ms, n = 1) => `${fmt(rate(n * size, ms))} MiB/s`;
    const goal = (/** @type {number} */ x) =>
      `≥ ${DOWNLOAD_GOAL.toFixed(1)}: **${x >= DOWNLOAD_GOAL ? 'met' : 'not met'}**`;
    const downloadRow = (/** @type {'single' | 'parallel'} */ kind, /** @type {string} */ title) => {
      const n = kind === 'single' ? 1 : PARALLEL;
      const x = ratio('baseline', kind);
      return (
        `| ${title} | ${mibs(best('baseline', kind), n)} (256 KiB reads: ${mibs(best('baseline256', kind), n)}) ` +
        `| ${mibs(best('hearth', kind), n)} | **${x.toFixed(2)}** (${ratio('baseline256', kind).toFixed(2)}) | ${goal(x)} |`
      );
    };
    const markdown = [
      `One ${mib} file of random bytes; ${rounds} rounds, the servers taking turns, best of each.`,
      '',
      '| figure | baseline | Hearth | ratio Hearth/baseline | goal |',
      '| --- | ---: | ---: | ---: | --- |',
      downloadRow('single', 'download, 1 at a time'),
      downloadRow('parallel', `download, ${PARALLEL} at once (in all)`),
      `| upload (multipart POST) vs raw disk write | ${mibs(bestWrite)} | ${mibs(bestUpload)} | **${uploadRatio.toFixed(2)}** | none set |`,
      `| Hearth RSS growth during a ${mib} upload (peak − before) | | ${fmt(maxGrowth / MiB, 1)} MiB | | < ${fmt(MEMORY_GOAL / MiB)} MiB: **${memoryMet ? 'met' : 'not met'}** |`,
      '',
      `RSS growth per upload, in order: ${uploads.map((u) => `+${fmt(u.growth / MiB, 1)}`).join(', ')} MiB ` +
        `(RSS before the first: ${fmt((uploads[0]?.before ?? NaN) / MiB)} MiB).`,
      '',
      `Download ratios in brackets: against the baseline reading 256 KiB at a time, as Hearth does. ` +
        `Median single-download ratio ${medianRatio.toFixed(2)}. RSS growth during the downloads ` +
        `(peak − before): baseline process ${fmt(Math.max(runs.baseline.growth, runs.baseline256.growth) / MiB, 1)} MiB, ` +
        `Hearth ${fmt(runs.hearth.growth / MiB, 1)} MiB. Server CPU per downloaded MiB: baseline ` +
        `${cpuPerMiB('baseline').toFixed(2)} ms (256 KiB reads: ${cpuPerMiB('baseline256').toFixed(2)} ms), ` +
        `Hearth ${cpuPerMiB('hearth').toFixed(2)} ms.`,
    ].join('\n');
    console.log(markdown);
    return { name: 'files', ok: true, markdown };
  } finally {
    await baseline?.stop();
    await hearth.stop();
    removeDir(work);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { size: { type: 'string' }, rounds: { type: 'string' } } });
  const num = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  const sizeMiB = num(values.size);
  await run({ size: sizeMiB === undefined ? undefined : sizeMiB * MiB, rounds: num(values.rounds) });
  process.exit(0);
}
