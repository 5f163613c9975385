// Console (issue 6): how soon the first page of a big collection's records grid is on screen, in
// Chromium driven by Playwright against the built Hearth on loopback, and the console's first-load JS.
// 1. 100 000 records: from navigation to the first grid row in the DOM (a MutationObserver in the page
//    notes `performance.now()`), both as a full page load of /_/collections/<id> and as an in-app
//    navigation (a click on the collection in the list). Goal < 300 ms. The baseline, in the same
//    run, is the same grid over a collection of 10 records: the ratio is what size costs.
// 2. Bytes of JavaScript the browser loads for the console's first page (/_/collections, signed in),
//    raw and gzipped (level 9, as the build precompresses), and what the records page adds.
// Runs alone (`node bench/console.js [--rounds N]`) or from bench/run.js.
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { chromium } from '@playwright/test';
import { removeDir, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const BIG = 100_000;
const SMALL = 10;
const GOAL_MS = 300;
const CHROMIUM = '/usr/bin/chromium';
const AUTH_KEY = 'hearth_console_auth';

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const at = (/** @type {number} */ i) => /** @type {number} */ (s[i]);
  return s.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}
const fmt = (/** @type {number} */ n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * @param {string} url
 * @param {string} token
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
async function api(url, token, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const FIELDS = [
  { name: 'title', type: 'text' },
  { name: 'n', type: 'number' },
  { name: 'done', type: 'bool' },
  { name: 'created', type: 'autodate', onCreate: true, onUpdate: false },
  { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
];

/** Rows straight into the collection's table (the API would take minutes for 100 000). */
function seed(/** @type {string} */ dir, /** @type {string} */ table, /** @type {number} */ count) {
  const db = new Database(join(dir, 'data.db'));
  const insert = db.prepare(
    `INSERT INTO "${table}" (id, title, n, done, created, updated) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      let id = '';
      for (let k = 0; k < 15; k++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
      const at = new Date(now - (count - i) * 1000).toISOString().replace('T', ' ');
      insert.run(id, `record number ${i} of ${count}`, i, i % 2, at, at);
    }
  })();
  db.close();
}

/** Runs in the page before any script: notes when the first row of each records grid appears. */
function observeGrids() {
  const w = /** @type {any} */ (window);
  w.__firstRow = {};
  w.__clickAt = null;
  document.addEventListener('click', () => (w.__clickAt ??= performance.now()), true);
  new MutationObserver(() => {
    for (const table of document.querySelectorAll('table[aria-label^="Records of "]')) {
      const name = table.getAttribute('aria-label');
      if (name && !(name in w.__firstRow) && table.querySelector('tbody tr'))
        w.__firstRow[name] = performance.now();
    }
  }).observe(document, { childList: true, subtree: true });
}

/**
 * @param {{ rounds?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const rounds = options.rounds ?? 7;
  const dir = tempDir('hearth-bench-console-');
  /** @type {Awaited<ReturnType<typeof startHearth>> | undefined} */
  let hearth;
  /** @type {import('@playwright/test').Browser | undefined} */
  let browser;
  try {
    const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
    if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
    hearth = await startHearth({ dir });
    let auth = await api(hearth.url, '', 'POST', '/api/collections/_superusers/auth-with-password', ADMIN);
    /** @type {Record<string, string>} */
    const ids = {};
    for (const name of ['bench_big', 'bench_small']) {
      ids[name] = (
        await api(hearth.url, auth.token, 'POST', '/api/collections', { name, type: 'base', fields: FIELDS })
      ).id;
    }
    await hearth.stop();
    seed(dir, 'bench_big', BIG);
    seed(dir, 'bench_small', SMALL);
    hearth = await startHearth({ dir });
    auth = await api(hearth.url, '', 'POST', '/api/collections/_superusers/auth-with-password', ADMIN);
    const url = hearth.url;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-gpu',
        '--disable-dev-shm-usage',
      ],
    });
    const context = await browser.newContext({ baseURL: url });
    await context.addInitScript(
      ([key, value]) => localStorage.setItem(/** @type {string} */ (key), /** @type {string} */ (value)),
      [AUTH_KEY, JSON.stringify({ token: auth.token, record: auth.record })],
    );
    await context.addInitScript(observeGrids);

    // First load of the console: every script the page asks for, cold cache.
    const page = await context.newPage();
    /** @type {Map<string, Buffer>} */
    const scripts = new Map();
    const collect = (/** @type {import('@playwright/test').Response} */ res) => {
      if (res.request().resourceType() === 'script')
        void res.body().then(
          (b) => scripts.set(res.url(), b),
          () => undefined,
        );
    };
    page.on('response', collect);
    await page.goto('/_/collections');
    await page.getByRole('link', { name: 'bench_big', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    const firstLoad = new Map(scripts);
    await page.getByRole('link', { name: 'bench_small', exact: true }).click();
    await page.waitForFunction(() => 'Records of bench_small' in /** @type {any} */ (window).__firstRow);
    await page.waitForLoadState('networkidle');
    page.off('response', collect);
    const sizes = (/** @type {Buffer[]} */ bodies) => ({
      raw: bodies.reduce((s, b) => s + b.length, 0),
      gzip: bodies.reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0),
    });
    const shell = sizes([...firstLoad.values()]);
    const records = sizes([...scripts].filter(([u]) => !firstLoad.has(u)).map(([, b]) => b));

    /** @type {{ bench_big: { load: number[], nav: number[] }, bench_small: { load: number[], nav: number[] } }} */
    const times = { bench_big: { load: [], nav: [] }, bench_small: { load: [], nav: [] } };
    for (let r = 0; r < rounds; r++) {
      for (const name of /** @type {const} */ (['bench_big', 'bench_small'])) {
        const label = `Records of ${name}`;
        // A full page load of the grid.
        await page.goto(`/_/collections/${ids[name]}`);
        await page.waitForFunction((l) => l in /** @type {any} */ (window).__firstRow, label);
        times[name].load.push(await page.evaluate((l) => /** @type {any} */ (window).__firstRow[l], label));
        // An in-app navigation from the collections list.
        await page.goto('/_/collections');
        await page.getByRole('link', { name, exact: true }).waitFor();
        await page.evaluate(() => {
          /** @type {any} */ (window).__clickAt = null;
        });
        await page.getByRole('link', { name, exact: true }).click();
        await page.waitForFunction((l) => l in /** @type {any} */ (window).__firstRow, label);
        times[name].nav.push(
          await page.evaluate(
            (l) => /** @type {any} */ (window).__firstRow[l] - /** @type {any} */ (window).__clickAt,
            label,
          ),
        );
      }
    }
    await context.close();

    const big = { load: median(times.bench_big.load), nav: median(times.bench_big.nav) };
    const small = { load: median(times.bench_small.load), nav: median(times.bench_small.nav) };
    const verdict = (/** @type {number} */ ms) => (ms < GOAL_MS ? 'met' : 'MISSED');
    console.log(
      `in-app navigation, first row: ${fmt(big.nav, 1)} ms for ${fmt(BIG)} records, ${fmt(small.nav, 1)} ms for ${SMALL} (ratio ${fmt(big.nav / small.nav, 2)}); goal < ${GOAL_MS} ms ${verdict(big.nav)}`,
    );
    console.log(
      `full page load, first row: ${fmt(big.load, 1)} ms for ${fmt(BIG)} records, ${fmt(small.load, 1)} ms for ${SMALL} (ratio ${fmt(big.load / small.load, 2)}); goal < ${GOAL_MS} ms ${verdict(big.load)}`,
    );
    console.log(
      `console first load JS: ${fmt(shell.raw / 1024, 1)} KiB, ${fmt(shell.gzip / 1024, 1)} KiB gzipped; the records page adds ${fmt(records.gzip / 1024, 1)} KiB gzipped`,
    );

    const markdown = [
      `Chromium (Debian's, headless) via Playwright against the built Hearth on loopback; median of ${rounds} rounds. Time from navigation to the first row of the records grid in the DOM (a MutationObserver noting \`performance.now()\`). Baseline: the same grid over a ${SMALL}-record collection, same run.`,
      '',
      `| navigation | ${fmt(BIG)} records | ${SMALL} records (baseline) | ratio | goal |`,
      '| --- | ---: | ---: | ---: | --- |',
      `| in-app (click in the collections list) | ${fmt(big.nav, 1)} ms | ${fmt(small.nav, 1)} ms | ${fmt(big.nav / small.nav, 2)} | < ${GOAL_MS} ms: ${verdict(big.nav)} |`,
      `| full page load of /_/collections/<id> | ${fmt(big.load, 1)} ms | ${fmt(small.load, 1)} ms | ${fmt(big.load / small.load, 2)} | < ${GOAL_MS} ms: ${verdict(big.load)} |`,
      '',
      `Console first load (/_/collections, signed in): ${fmt(firstLoad.size)} scripts, ${fmt(shell.raw / 1024, 1)} KiB of JS, **${fmt(shell.gzip / 1024, 1)} KiB gzipped**; opening a records grid adds ${fmt(records.raw / 1024, 1)} KiB (${fmt(records.gzip / 1024, 1)} KiB gzipped).`,
    ].join('\n');
    return { name: 'console', ok: true, markdown };
  } finally {
    await browser?.close();
    await hearth?.stop();
    removeDir(dir);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  const result = await run({ rounds: values.rounds ? Number(values.rounds) : undefined });
  console.log(`\n${result.markdown}`);
}
