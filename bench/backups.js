// Backups (issue 9): `hearth backup create` of a data folder with a 1 GiB database and 2 GiB of files,
// its time and peak memory against `tar` of the same folder, measured in the same run:
// 1. `hearth backup create` (the built CLI, its own process) vs `tar -cf` and `tar -czf` of data.db and
//    storage/, each followed by an fsync of the archive (the backup syncs its zip): wall time, CPU time
//    and peak RSS (GNU time's maximum resident set size);
// 2. `hearth backup verify` of that zip vs `tar -tzf` of the .tar.gz and `unzip -tq` of the same zip
//    (both read and inflate everything; verify also hashes every entry and checks the database), and
//    `tar -tf` (a listing, which seeks over the data);
// 3. flat memory: the same commands on the folder at a quarter of its size first; the backup's peak RSS
//    must not grow with the data (goal: less than FLAT_GROWTH more at full size).
// The folder is made once: a superuser and two collections through the built server, then rows of
// random base64 text inserted straight into one collection's table with better-sqlite3 (far faster
// than the API) and files written under storage/<collection>/<record>/ with a record each
// (large random .bin and .mp4, random .jpg, many small text files). It grows a quarter at a time, and is
// measured after the first quarter and after the fourth. Needs GNU time (/usr/bin/time), tar and
// unzip, and about 2.5 times the data's size free in os.tmpdir() (9 GiB by default); everything is
// removed at the end.
// Runs alone (`node bench/backups.js [--db-mb N] [--files-mb N]`, default 1024 and 2048) or from
// bench/run.js.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { BUNDLE, removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const MiB = 1024 * 1024;
const ROWS = 'bench_rows';
const DOCS = 'bench_docs';
const QUARTERS = 4;
/** The backup's peak RSS at full size may exceed its peak at a quarter of the size by less than this. */
const FLAT_GROWTH = 32 * MiB;
const TIME = '/usr/bin/time';
const SEED = 20261122;

const fmt = (/** @type {number} */ n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (/** @type {number} */ ms) => `${fmt(ms / 1000, 1)} s`;
const mib = (/** @type {number} */ bytes) => `${fmt(bytes / MiB)} MiB`;

/** A small seeded PRNG (mulberry32): the same file sizes every run. @param {number} seed */
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

/** @param {string} url @param {string} token @param {string} method @param {string} path @param {unknown} [body] */
async function api(url, token, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

const AUTODATES = [
  { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
  { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
];

/**
 * A fresh data folder with a superuser and the two collections, made through the built server.
 * @param {string} dir
 * @returns {Promise<{ docsId: string }>}
 */
async function prepare(dir) {
  const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
  if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
  const hearth = await startHearth({ dir });
  try {
    const auth = await api(hearth.url, '', 'POST', '/api/collections/_superusers/auth-with-password', ADMIN);
    await api(hearth.url, auth.token, 'POST', '/api/collections', {
      name: ROWS,
      type: 'base',
      fields: [{ name: 'title', type: 'text' }, { name: 'body', type: 'text', max: 10000 }, ...AUTODATES],
    });
    const docs = await api(hearth.url, auth.token, 'POST', '/api/collections', {
      name: DOCS,
      type: 'base',
      fields: [
        { name: 'title', type: 'text' },
        { name: 'doc', type: 'file', maxSelect: 1, maxSize: 1024 * MiB },
        ...AUTODATES,
      ],
    });
    return { docsId: String(docs.id) };
  } finally {
    await hearth.stop();
  }
}

/** About `bytes` of word-like text, for the small documents (deflate makes it 3–4 times smaller). */
function corpus(/** @type {() => number} */ random, bytes = 4 * MiB) {
  const syllables = ['ka', 'lo', 'mer', 'sin', 'ta', 've', 'ro', 'dun', 'pa', 'ish', 'el', 'mo', 'ra', 'th'];
  const words = Array.from({ length: 2000 }, () => {
    let w = '';
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) w += syllables[Math.floor(random() * 14)];
    return w;
  });
  let text = '';
  while (text.length < bytes) {
    text += words[Math.floor(random() * words.length)] + (random() < 0.08 ? '.\n' : ' ');
  }
  return Buffer.from(text.slice(0, bytes));
}

/**
 * Grows the data folder to `quarter`/4 of its full size: rows of random base64 text (500–2500
 * characters) in `bench_rows` until data.db has its share, and files with a record each in
 * `bench_docs`: per quarter 40 % in two large files (.bin, deflated by the backup, and .mp4, stored),
 * 40 % in .jpg of 256 KiB–4 MiB and 20 % in text files of 1–64 KiB (.txt, .json, .md). File contents
 * are random bytes but for the text files; sizes come from a seeded PRNG.
 * @param {{ dir: string, docsId: string, quarter: number, dbBytes: number, filesBytes: number, random: () => number, text: Buffer, counts: { rows: number, files: number } }} s
 */
function grow(s) {
  const db = new Database(join(s.dir, 'data.db'));
  db.pragma('synchronous = OFF');
  try {
    const insertRow = db.prepare(
      `INSERT INTO ${ROWS} (id, title, body, created, updated) VALUES (?, ?, ?, ?, ?)`,
    );
    const insertDoc = db.prepare(
      `INSERT INTO ${DOCS} (id, title, doc, created, updated) VALUES (?, ?, ?, ?, ?)`,
    );
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const dbSize = () => Number(db.pragma('page_count', { simple: true })) * pageSize;
    const at = new Date().toISOString().replace('T', ' ');
    const target = (s.dbBytes * s.quarter) / QUARTERS;
    const batch = db.transaction((/** @type {number} */ n) => {
      for (let i = 0; i < n; i++) {
        const id = `r${String(++s.counts.rows).padStart(14, '0')}`;
        const length = 500 + Math.floor(s.random() * 2001);
        const body = randomBytes(Math.ceil((length * 3) / 4))
          .toString('base64')
          .slice(0, length);
        insertRow.run(id, `row ${s.counts.rows}`, body, at, at);
      }
    });
    while (dbSize() < target) batch(2000);

    const share = Math.floor(s.filesBytes / QUARTERS);
    /** @param {string} name @param {Buffer | number} content  bytes, or a size for random bytes */
    const file = (name, content) => {
      const id = `f${String(++s.counts.files).padStart(14, '0')}`;
      const folder = join(s.dir, 'storage', s.docsId, id);
      mkdirSync(folder, { recursive: true });
      const bytes = typeof content === 'number' ? randomBytes(content) : content;
      writeFileSync(join(folder, name), bytes);
      insertDoc.run(id, name, name, at, at);
    };
    const tag = () => Math.floor(s.random() * 36 ** 6).toString(36);
    db.transaction(() => {
      // Large files, written 64 MiB at a time so the bench's memory stays small.
      for (const ext of ['bin', 'mp4']) {
        const size = Math.floor(share * 0.2);
        const id = `f${String(++s.counts.files).padStart(14, '0')}`;
        const name = `${ext === 'bin' ? 'archive' : 'video'}_${tag()}.${ext}`;
        const folder = join(s.dir, 'storage', s.docsId, id);
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, name), '');
        for (let left = size; left > 0; left -= 64 * MiB) {
          writeFileSync(join(folder, name), randomBytes(Math.min(64 * MiB, left)), { flag: 'a' });
        }
        insertDoc.run(id, name, name, at, at);
      }
      for (let left = Math.floor(share * 0.4); left > 0;) {
        const size = Math.min(left, Math.floor(256 * 1024 + s.random() * (4 * MiB - 256 * 1024)));
        file(`photo_${tag()}.jpg`, size);
        left -= size;
      }
      const kinds = ['txt', 'json', 'md'];
      for (let left = Math.floor(share * 0.2); left > 0;) {
        const size = Math.min(left, Math.floor(1024 + s.random() * 63 * 1024));
        const from = Math.floor(s.random() * (s.text.length - size));
        file(`note_${tag()}.${kinds[s.counts.files % 3]}`, s.text.subarray(from, from + size));
        left -= size;
      }
    })();
  } finally {
    db.close();
  }
}

/** Bytes of every regular file under `path` (a file or a folder), and how many. @param {string} path */
function du(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return { bytes: st.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const child of readdirSync(path)) {
    const r = du(join(path, child));
    bytes += r.bytes;
    files += r.files;
  }
  return { bytes, files };
}

/**
 * @typedef {object} Measured
 * @property {number} ms       wall time, spawn to exit
 * @property {number} cpuMs    user + system CPU time of the process and the children it waited for
 * @property {number} rss      peak resident set size in bytes (GNU time's %M)
 * @property {string} stdout
 * @property {Record<string, number>} [marks]  ms from spawn at which watched files first appeared
 * @property {[number, number][]} samples   [ms from spawn, RSS in bytes], every 20 ms
 */

/** The highest RSS sampled in each quarter of a run's time, in MiB: "97 / 120 / 121 / 121". @param {Measured} m */
function rssByQuarter(m) {
  const peaks = [0, 0, 0, 0];
  for (const [t, rss] of m.samples) {
    const q = Math.min(3, Math.floor((t / m.ms) * 4));
    peaks[q] = Math.max(peaks[q] ?? 0, rss);
  }
  return peaks.map((p) => fmt(p / MiB)).join(' / ');
}

/**
 * Runs a command under GNU time and waits for it; an error if it fails. With `sample`, its RSS is also
 * read every 20 ms, and `watch` polls a folder as often, noting when a name matching each pattern first
 * appears (the backup's phases).
 * @param {string} command @param {string[]} args
 * @param {{ stdout?: boolean, sample?: boolean, watch?: { dir: string, patterns: Record<string, RegExp> } }} [options]
 * @returns {Promise<Measured>}
 */
async function measure(command, args, options = {}) {
  const statsFile = join(tmpdir(), `hearth-bench-time-${process.pid}.txt`);
  const start = performance.now();
  const child = spawn(TIME, ['-f', '%M %U %S', '-o', statsFile, command, ...args], {
    stdio: ['ignore', options.stdout === false ? 'ignore' : 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout = (stdout + d).slice(-4000)));
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  /** @type {Record<string, number>} */
  const marks = {};
  /** @type {[number, number][]} */
  const samples = [];
  const watch = options.watch;
  let pid = 0;
  const poll = () => {
    const now = performance.now() - start;
    try {
      // The command is the child of GNU time; its RSS now, from /proc.
      pid ||= Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim()) || 0;
      const m = pid ? /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null;
      if (m) samples.push([now, Number(m[1]) * 1024]);
    } catch {
      // not started yet, or gone
    }
    if (!watch) return;
    let names;
    try {
      names = readdirSync(watch.dir);
    } catch {
      return;
    }
    for (const [mark, re] of Object.entries(watch.patterns))
      if (!(mark in marks) && names.some((n) => re.test(n))) marks[mark] = now;
  };
  const timer = options.sample ? setInterval(poll, 20) : undefined;
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const ms = performance.now() - start;
  clearInterval(timer);
  const stats = readFileSync(statsFile, 'utf8').trim().split('\n').pop() ?? '';
  rmSync(statsFile, { force: true });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`);
  const [kib, user, sys] = stats.split(' ').map(Number);
  const rss = (kib ?? NaN) * 1024;
  return { ms, cpuMs: ((user ?? NaN) + (sys ?? NaN)) * 1000, rss, stdout, marks, samples };
}

/** fsync of one file (coreutils `sync FILE`); the time in ms. @param {string} file */
function fsyncFile(file) {
  const start = performance.now();
  const r = spawnSync('sync', [file]);
  if (r.status !== 0) throw new Error(`sync ${file} failed: ${r.stderr}`);
  return performance.now() - start;
}

/** Lets the disk catch up (earlier writes flushed), so no measurement pays for the one before it. */
async function settle() {
  spawnSync('sync');
  await sleep(1000);
}

/**
 * @typedef {object} Stage
 * @property {number} quarters
 * @property {{ bytes: number }} db
 * @property {{ bytes: number, files: number }} storage
 * @property {Measured & { sync: number, size: number }} tar
 * @property {Measured & { sync: number, size: number }} tgz
 * @property {Measured & { size: number, entries: number }} backup
 * @property {Measured} verify
 * @property {Measured} unzip
 * @property {Measured} tarList
 * @property {Measured} tgzList
 */

/**
 * Every measurement on the folder as it is now.
 * @param {{ dir: string, out: string, bundle: string, quarters: number }} s
 * @returns {Promise<Stage>}
 */
async function measureStage(s) {
  const { dir, out, bundle } = s;
  const db = du(join(dir, 'data.db'));
  const storage = du(join(dir, 'storage'));
  console.log(
    `${s.quarters}/${QUARTERS} of the data: data.db ${mib(db.bytes)}, storage/ ${mib(storage.bytes)} in ` +
      `${fmt(storage.files)} files; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  const line = (/** @type {string} */ label, /** @type {Measured} */ m, extra = '') =>
    console.log(
      `  ${label.padEnd(22)} ${seconds(m.ms).padStart(8)}, CPU ${seconds(m.cpuMs).padStart(8)}, ` +
        `peak RSS ${mib(m.rss).padStart(8)}${extra}`,
    );
  const paths = ['-C', dir, 'data.db', 'storage'];

  await settle();
  const tarFile = join(out, 'data.tar');
  const tarRun = await measure('tar', ['-cf', tarFile, ...paths]);
  const tar = { ...tarRun, sync: fsyncFile(tarFile), size: statSync(tarFile).size };
  tar.ms += tar.sync;
  line('tar -cf + fsync', tar, `, fsync ${seconds(tar.sync)}, ${mib(tar.size)}`);
  const tarList = await measure('tar', ['-tf', tarFile], { stdout: false });
  line('tar -tf', tarList);
  rmSync(tarFile);

  await settle();
  const backupsDir = join(dir, 'backups');
  const zip = join(backupsDir, 'bench.zip');
  const created = await measure(process.execPath, [bundle, 'backup', 'create', 'bench.zip', '--dir', dir], {
    sample: true,
    watch: {
      dir: backupsDir,
      patterns: { snapshot: /^bench\.zip\.[0-9a-f]+\.db\.partial$/, zip: /^bench\.zip\.[0-9a-f]+\.partial$/ },
    },
  });
  const m = /\((\d+) bytes, (\d+) entries\)/.exec(created.stdout);
  const backup = { ...created, size: statSync(zip).size, entries: Number(m?.[2] ?? NaN) };
  if (backup.entries !== storage.files + 1)
    throw new Error(`the backup has ${backup.entries} entries, not ${storage.files + 1}: ${created.stdout}`);
  line('hearth backup create', backup, `, ${mib(backup.size)}, ${fmt(backup.entries)} entries`);
  const { snapshot, zip: zipMark } = backup.marks ?? {};
  if (snapshot !== undefined && zipMark !== undefined)
    console.log(
      `    phases: start-up ${seconds(snapshot)}, data.db snapshot ${seconds(zipMark - snapshot)}, ` +
        `zip ${seconds(backup.ms - zipMark)}`,
    );
  console.log(`    highest RSS in each quarter of the run: ${rssByQuarter(backup)} MiB`);

  await settle();
  const verify = await measure(process.execPath, [bundle, 'backup', 'verify', zip], { sample: true });
  if (!verify.stdout.startsWith('ok:')) throw new Error(`backup verify said: ${verify.stdout}`);
  line('hearth backup verify', verify);
  console.log(`    highest RSS in each quarter of the run: ${rssByQuarter(verify)} MiB`);
  const unzip = await measure('unzip', ['-tq', zip]);
  line('unzip -tq', unzip);
  rmSync(zip);

  await settle();
  const tgzFile = join(out, 'data.tar.gz');
  const tgzRun = await measure('tar', ['-czf', tgzFile, ...paths]);
  const tgz = { ...tgzRun, sync: fsyncFile(tgzFile), size: statSync(tgzFile).size };
  tgz.ms += tgz.sync;
  line('tar -czf + fsync', tgz, `, fsync ${seconds(tgz.sync)}, ${mib(tgz.size)}`);
  const tgzList = await measure('tar', ['-tzf', tgzFile], { stdout: false });
  line('tar -tzf', tgzList);
  rmSync(tgzFile);

  return { quarters: s.quarters, db, storage, tar, tgz, backup, verify, unzip, tarList, tgzList };
}

/**
 * @param {{ dbMb?: number, filesMb?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const dbMb = options.dbMb ?? 1024;
  const filesMb = options.filesMb ?? 2048;
  const bundle = BUNDLE;
  for (const [tool, args] of /** @type {const} */ ([
    [TIME, ['--version']],
    ['tar', ['--version']],
    ['unzip', ['-v']],
  ])) {
    if (spawnSync(tool, args).status !== 0)
      throw new Error(`${tool} is missing (apt-get install time tar unzip)`);
  }
  const help = spawnSync(process.execPath, [bundle, 'backup', '--help'], { encoding: 'utf8' });
  if (help.status !== 0 || !help.stdout.includes('create'))
    throw new Error(`${bundle} has no \`backup\` command: it was built before backups (run npm run build)`);

  const dataBytes = (dbMb + filesMb) * MiB;
  // The data and, one at a time beside it, the .tar (as large), or the zip with the database's snapshot
  // (and later verify's unpacked data.db), or the .tar.gz; a margin for the rest.
  const needed = Math.ceil(dataBytes * 2.2 + dbMb * MiB + 1024 * MiB);
  const fs = statfsSync(tmpdir());
  const free = fs.bavail * fs.bsize;
  if (free < needed)
    throw new Error(
      `needs ${mib(needed)} free in the temp folder, ${mib(free)} are (use --db-mb/--files-mb)`,
    );

  const work = tempDir('hearth-bench-backups-');
  const dir = join(work, 'data');
  const out = join(work, 'out');
  mkdirSync(out);
  const started = performance.now();
  try {
    console.log(
      `data folder of ${fmt(dbMb)} MiB of database and ${fmt(filesMb)} MiB of files in ${work}, measured at ` +
        `1/${QUARTERS} and at full size; CLI ${bundle}`,
    );
    const { docsId } = await prepare(dir);
    const random = prng(SEED);
    const text = corpus(random);
    const counts = { rows: 0, files: 0 };
    const grown = { dir, docsId, dbBytes: dbMb * MiB, filesBytes: filesMb * MiB, random, text, counts };
    /** @type {Stage[]} */
    const stages = [];
    let quarters = 0;
    for (const upTo of [1, QUARTERS]) {
      const t = performance.now();
      while (quarters < upTo) grow({ ...grown, quarter: ++quarters });
      if (upTo === 1) {
        // Migrations of the CLI measured, if it is newer than the server that made the folder: not timed.
        const migrate = spawnSync(process.execPath, [bundle, 'migrate', 'up', '--dir', dir], {
          encoding: 'utf8',
        });
        if (migrate.status !== 0) throw new Error(`migrate up failed: ${migrate.stderr}`);
      }
      console.log(`grew the data to ${quarters}/${QUARTERS} in ${seconds(performance.now() - t)}`);
      stages.push(await measureStage({ dir, out, bundle, quarters }));
    }
    const floor = await measure(process.execPath, [bundle, 'migrate', 'status', '--dir', dir]);
    console.log(`  hearth migrate status (the CLI's floor): peak RSS ${mib(floor.rss)}`);

    const small = /** @type {Stage} */ (stages[0]);
    const full = /** @type {Stage} */ (stages[stages.length - 1]);
    const ratio = (/** @type {number} */ a, /** @type {number} */ b) => (a / b).toFixed(2);
    const growth = full.backup.rss - small.backup.rss;
    const flat = growth < FLAT_GROWTH;
    const verifyGrowth = full.verify.rss - small.verify.rss;
    console.log(
      `backup create / tar -cf + fsync: ${ratio(full.backup.ms, full.tar.ms)} (1/${QUARTERS}: ` +
        `${ratio(small.backup.ms, small.tar.ms)}); / tar -czf + fsync: ${ratio(full.backup.ms, full.tgz.ms)} ` +
        `(1/${QUARTERS}: ${ratio(small.backup.ms, small.tgz.ms)})`,
    );
    console.log(
      `backup verify / tar -tzf: ${ratio(full.verify.ms, full.tgzList.ms)}; / unzip -tq: ` +
        `${ratio(full.verify.ms, full.unzip.ms)}`,
    );
    console.log(
      `backup create peak RSS ${mib(full.backup.rss)} at full size, ${mib(small.backup.rss)} at 1/${QUARTERS} ` +
        `(${growth >= 0 ? '+' : ''}${fmt(growth / MiB, 1)} MiB; flat, goal < ${mib(FLAT_GROWTH)} more: ` +
        `${flat ? 'met' : 'NOT met'}); verify ${mib(full.verify.rss)} and ${mib(small.verify.rss)}`,
    );
    console.log(`done in ${seconds(performance.now() - started)}`);

    /** @param {string} label @param {(st: Stage) => Measured & { size?: number }} pick @param {string} [vs] */
    const row = (label, pick, vs = '') => {
      const [a, b] = [pick(full), pick(small)];
      return (
        `| ${label} | ${seconds(a.ms)} | ${seconds(a.cpuMs)} | ${mib(a.rss)} | ` +
        `${a.size === undefined ? '' : mib(a.size)} | ${vs} | ${seconds(b.ms)} | ${mib(b.rss)} |`
      );
    };
    const sizes = (/** @type {Stage} */ st) =>
      `${mib(st.db.bytes)} + ${mib(st.storage.bytes)} in ${fmt(st.storage.files)} files`;
    const { snapshot, zip } = full.backup.marks ?? {};
    const markdown = [
      `Data folder: data.db and storage/ of ${sizes(full)}; measured first at 1/${QUARTERS} of that ` +
        `(${sizes(small)}). One run of each command at each size.`,
      '',
      `| command | time | CPU | peak RSS | output | ratio | time at 1/${QUARTERS} | peak RSS at 1/${QUARTERS} |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('`tar -cf` + fsync', (st) => st.tar),
      row('`tar -czf` + fsync', (st) => st.tgz),
      row(
        '**`hearth backup create`**',
        (st) => st.backup,
        `**${ratio(full.backup.ms, full.tar.ms)}** / **${ratio(full.backup.ms, full.tgz.ms)}**`,
      ),
      row('`tar -tf`', (st) => st.tarList),
      row('`tar -tzf`', (st) => st.tgzList),
      row('`unzip -tq` (the backup)', (st) => st.unzip),
      row(
        '**`hearth backup verify`**',
        (st) => st.verify,
        `**${ratio(full.verify.ms, full.tgzList.ms)}** / ${ratio(full.verify.ms, full.unzip.ms)}`,
      ),
      '',
      `Ratios (time): backup create over \`tar -cf\` / over \`tar -czf\` (both with the fsync); verify over ` +
        `\`tar -tzf\` / over \`unzip -tq\`. At 1/${QUARTERS}: create ${ratio(small.backup.ms, small.tar.ms)} / ` +
        `${ratio(small.backup.ms, small.tgz.ms)}, verify ${ratio(small.verify.ms, small.tgzList.ms)} / ` +
        `${ratio(small.verify.ms, small.unzip.ms)}.` +
        (snapshot !== undefined && zip !== undefined
          ? ` The backup's phases at full size: start-up ${seconds(snapshot)}, data.db snapshot ` +
            `${seconds(zip - snapshot)}, zip ${seconds(full.backup.ms - zip)}.`
          : ''),
      '',
      `Peak memory flat (backup create at full size less than ${mib(FLAT_GROWTH)} over 1/${QUARTERS}): ` +
        `${mib(full.backup.rss)} against ${mib(small.backup.rss)}, ${growth >= 0 ? '+' : ''}` +
        `${fmt(growth / MiB, 1)} MiB: **${flat ? 'met' : 'not met'}** (verify: ${verifyGrowth >= 0 ? '+' : ''}` +
        `${fmt(verifyGrowth / MiB, 1)} MiB). The CLI alone (\`hearth migrate status\`) peaks at ${mib(floor.rss)}. ` +
        'No time goal is set.',
    ].join('\n');
    return { name: 'backups', ok: true, markdown };
  } finally {
    removeDir(work);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { 'db-mb': { type: 'string' }, 'files-mb': { type: 'string' } } });
  const num = (/** @type {string | undefined} */ v) => (v === undefined ? undefined : Number(v));
  const result = await run({ dbMb: num(values['db-mb']), filesMb: num(values['files-mb']) });
  console.log(result.markdown);
  process.exit(0);
}
