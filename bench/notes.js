// Notes (issue 7): the end-to-end encrypted notes at /notes, in Chromium driven by Playwright against
// the built Hearth on loopback.
// 1. The list after unlock: a user with 1 000 notes (and one with 100) types the passphrase and
//    presses Unlock; the clock starts when the unlock form leaves the DOM (the master key is in
//    memory: the passphrase derivation is over) and stops when the list holds every note, first as
//    DOM (a MutationObserver noting `performance.now()`) and then painted (the task after the next
//    animation frame, i.e. after style, layout and paint of that frame). Goal < 500 ms for 1 000.
//    Baseline, same page, same round: a plain `fetch` of the very URL the app asked for its first page
//    of notes (same filter, fields and perPage), with the same token, and `res.json()`: the transfer
//    without decryption or rendering.
// 2. Saving a 1 MiB note: in the unlocked app with 1 000 notes, the text of an open note is replaced
//    by 1 MiB of ASCII prose (textarea value set, `input` dispatched) and the clock runs until the
//    editor's status says "Saved"; the autosave's 600 ms debounce is subtracted, so what remains is
//    the input handling, any lateness of the timer, sealing, the PATCH, the list update and the status
//    render. Resource timing splits it into before the request, the request, and after it.
//    Baseline, same page: `fetch` PATCHing the same 1 MiB of text as JSON into a text field of an
//    unencrypted collection (stringify, request, `res.json()`).
// The notes are made as the app makes them, with the app's own crypto (web/lib/crypto and
// web/lib/notes/notes.model.ts, bundled for Node with rolldown, which Vite brings), through the API
// as their owner. The stored scrypt cost is the lowest parsePassphraseParams accepts (logN 10): the
// derivation runs before the clock starts and would only slow the rounds.
// Runs alone (`node bench/notes.js [--rounds N]`) or from bench/run.js.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { rolldown } from 'rolldown';
import { removeDir, ROOT, runCli, startHearth, tempDir } from '../tests/support/hearth.js';

const ADMIN = { identity: 'bench-admin@example.com', password: 'bench admin password' };
const PASSPHRASE = 'a long bench passphrase for the notes';
const BIG = 1000;
const SMALL = 100;
const GOAL_MS = 500;
const NOTE_BYTES = 1024 * 1024;
const DEBOUNCE_MS = 600; // NotesApp's autosave delay
const CHROMIUM = '/usr/bin/chromium';
const AUTH_KEY = 'pocketbase_auth';
const PLAIN = 'bench_plain_notes';
/** Creates in flight at once while seeding. */
const SEED_BATCH = 50;

/** @typedef {typeof import('../web/lib/crypto') & typeof import('../web/lib/notes/notes.model')} NotesCrypto */
/** @typedef {{ email: string, token: string, record: Record<string, unknown> }} BenchUser */

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

/**
 * The app's crypto and note model as one Node module: bundled at start (they are TypeScript with
 * `$lib` imports) into `dir`, so the bench seals exactly what the app seals.
 * @param {string} dir
 * @returns {Promise<NotesCrypto>}
 */
async function loadCrypto(dir) {
  const bundle = await rolldown({
    input: {
      crypto: join(ROOT, 'web/lib/crypto/index.ts'),
      model: join(ROOT, 'web/lib/notes/notes.model.ts'),
    },
    platform: 'node',
    resolve: { alias: { $lib: join(ROOT, 'web/lib') } },
    logLevel: 'warn',
  });
  await bundle.write({ dir, format: 'esm' });
  await bundle.close();
  const crypto = await import(pathToFileURL(join(dir, 'crypto.js')).href);
  const model = await import(pathToFileURL(join(dir, 'model.js')).href);
  return { ...crypto, ...model };
}

const WORDS = (
  'meeting plan draft idea budget garden travel recipe book call follow-up review design server ' +
  'backup invoice family weekend project release bug fix notes list groceries train flight hotel ' +
  'doctor school birthday gift music film read write learn check send ask reply today tomorrow ' +
  'soon later maybe important quick long short and the a of to in for with on about from'
).split(' ');
const TAGS = ['work', 'home', 'ideas', 'travel', 'reading', 'health', 'money', 'todo'];

/** A small seeded PRNG (mulberry32): the same notes every run. @param {number} seed */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A note as a person writes one: a title, 300–700 characters of text in lines, a few tags. */
function noteBody(/** @type {() => number} */ rand, /** @type {number} */ i) {
  const pick = (/** @type {string[]} */ xs) => /** @type {string} */ (xs[Math.floor(rand() * xs.length)]);
  const length = 300 + Math.floor(rand() * 400);
  let text = '';
  while (text.length < length) {
    const line = Array.from({ length: 6 + Math.floor(rand() * 10) }, () => pick(WORDS)).join(' ');
    text += `${line[0]?.toUpperCase()}${line.slice(1)}.\n`;
  }
  const tags = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(TAGS)))];
  return {
    title: `${pick(WORDS)} ${pick(WORDS)} ${i + 1}`.replace(/^./, (c) => c.toUpperCase()),
    text,
    tags,
    pinned: i % 50 === 0,
    archived: false,
    trashed: false,
  };
}

/**
 * A user with a notes_keys row as Vault.setupWithPassphrase makes it and `count` notes as
 * NotesStore.create makes them, all through the API with the user's own token.
 * @param {string} url
 * @param {string} adminToken
 * @param {NotesCrypto} c
 * @param {string} email
 * @param {number} count
 * @returns {Promise<BenchUser>}
 */
async function seedUser(url, adminToken, c, email, count) {
  const password = 'bench user password';
  await api(url, adminToken, 'POST', '/api/collections/users/records', {
    email,
    password,
    passwordConfirm: password,
  });
  const auth = await api(url, '', 'POST', '/api/collections/users/auth-with-password', {
    identity: email,
    password,
  });
  const userId = auth.record.id;
  const params = c.newPassphraseParams({ logN: 10, r: 8, p: 1 });
  const kek = await c.derivePassphraseKek(PASSPHRASE, params);
  const master = c.newMasterKey();
  const box = c.newBoxKeyPair();
  const recovery = c.newRecoveryKey();
  await api(url, auth.token, 'POST', '/api/collections/notes_keys/records', {
    id: userId,
    passphraseWrap: c.wrapKey(master, kek, 'master'),
    passphraseParams: params,
    recoveryWrap: c.wrapKey(master, recovery.kek, 'master'),
    boxPublicKey: c.toBase64Url(box.publicKey),
    boxSecretWrap: c.wrapKey(box.secretKey, master, 'box-secret'),
    idleLockMinutes: 15,
  });
  const rand = prng(count);
  for (let at = 0; at < count; at += SEED_BATCH) {
    const batch = [];
    for (let i = at; i < Math.min(at + SEED_BATCH, count); i++) {
      const id = c.newNoteId();
      const key = c.newNoteKey();
      batch.push(
        api(url, auth.token, 'POST', '/api/collections/notes/records', {
          id,
          owner: userId,
          keyWrap: c.wrapKey(key, master, 'note'),
          ciphertext: c.sealBody(id, 1, noteBody(rand, i), key),
          version: 1,
        }),
      );
    }
    await Promise.all(batch);
  }
  return { email, token: auth.token, record: auth.record };
}

/** Runs in the page before any script: 1 MiB of ASCII prose, different for each round. */
function pageHelpers() {
  /** @type {any} */ (window).__benchText = (/** @type {number} */ round, /** @type {number} */ bytes) => {
    const words = 'the of notes and to plan a in draft meeting is for review on idea with today'.split(' ');
    let seed = round + 1;
    const parts = [`Round ${round}\n`];
    let length = parts[0]?.length ?? 0;
    while (length < bytes) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const word = words[seed % words.length] + (seed % 11 === 0 ? '.\n' : ' ');
      parts.push(word);
      length += word.length;
    }
    return parts.join('').slice(0, bytes);
  };
}

/**
 * Installed before Unlock is pressed: notes when the unlock form leaves the DOM, when the notes
 * list holds `count` items, and the task after the frame that follows (the list painted).
 * @param {number} count
 */
function watchUnlock(count) {
  const w = /** @type {any} */ (window);
  w.__unlockTimes = null;
  const form = document.getElementById('notes-passphrase')?.closest('form');
  if (!form) throw new Error('no unlock form');
  /** @type {number | null} */
  let unlocked = null;
  const observer = new MutationObserver(() => {
    const now = performance.now();
    if (unlocked === null && !form.isConnected) unlocked = now;
    const list = document.querySelector('aside[aria-label="Notes"] ul');
    if (unlocked === null || !list || list.children.length < count) return;
    observer.disconnect();
    const dom = now;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => (w.__unlockTimes = { unlocked, dom, painted: performance.now() });
      channel.port2.postMessage(null);
    });
  });
  observer.observe(document.body, { childList: true, subtree: true });
}

/**
 * One unlock of /notes, then the baseline fetch in the same page.
 * @param {import('@playwright/test').Page} page
 * @param {number} count
 */
async function timeUnlock(page, count) {
  await page.goto('/notes');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.evaluate(() => performance.clearResourceTimings());
  await page.evaluate(watchUnlock, count);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.waitForFunction(() => /** @type {any} */ (window).__unlockTimes !== null, undefined, {
    timeout: 60_000,
  });
  const items = await page.getByRole('complementary', { name: 'Notes' }).getByRole('listitem').count();
  if (items !== count) throw new Error(`the list shows ${items} notes, expected ${count}`);
  const app = await page.evaluate(() => ({
    times: /** @type {{ unlocked: number, dom: number, painted: number }} */ (
      /** @type {any} */ (window).__unlockTimes
    ),
    requests: performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/collections/notes/records?'))
      .map((e) => ({
        url: e.name,
        start: e.startTime,
        end: /** @type {PerformanceResourceTiming} */ (e).responseEnd,
      })),
  }));
  const first = app.requests[0];
  if (!first) throw new Error('the app made no list request');
  // Let the app's trailing work (the realtime connection) settle before the baseline runs.
  await page.waitForTimeout(250);
  const baseline = await page.evaluate(
    async ({ url, key }) => {
      const token = JSON.parse(localStorage.getItem(key) ?? '{}').token;
      const started = performance.now();
      const res = await fetch(url, { headers: { Authorization: token } });
      const json = await res.json();
      return { ms: performance.now() - started, items: json.items.length };
    },
    { url: first.url, key: AUTH_KEY },
  );
  if (baseline.items !== count)
    throw new Error(`the baseline fetch got ${baseline.items} rows, expected ${count}`);
  const { unlocked, dom, painted } = app.times;
  const lastEnd = Math.max(...app.requests.map((r) => r.end));
  return {
    dom: dom - unlocked,
    painted: painted - unlocked,
    // From unlock to the last list response: the app's own transfer (all its pages).
    fetched: lastEnd - unlocked,
    requests: app.requests.length,
    baseline: baseline.ms,
  };
}

/**
 * One autosave of a 1 MiB text in the open note, timed in the page.
 * @param {import('@playwright/test').Page} page
 * @param {number} round
 */
async function timeSave(page, round) {
  const area = await page.getByLabel('Text', { exact: true }).elementHandle();
  if (!area) throw new Error('no note is open');
  const times = await page.evaluate(
    ([el, r, bytes]) =>
      new Promise((resolve, reject) => {
        const textarea = /** @type {HTMLTextAreaElement} */ (el);
        const status = document.querySelector('section[aria-label="Editor"] [role="status"]');
        if (!status) throw new Error('no save status');
        const text = /** @type {any} */ (window).__benchText(r, bytes);
        performance.clearResourceTimings();
        let input = 0;
        const timeout = setTimeout(() => reject(new Error(`not saved: ${status.textContent}`)), 60_000);
        const observer = new MutationObserver(() => {
          if (status.textContent?.trim() !== 'Saved') return;
          const saved = performance.now();
          observer.disconnect();
          clearTimeout(timeout);
          const request = /** @type {PerformanceResourceTiming | undefined} */ (
            performance
              .getEntriesByType('resource')
              .find((e) => e.name.includes('/api/collections/notes/records/'))
          );
          if (!request) reject(new Error('no save request seen'));
          else
            resolve({ input, saved, start: request.startTime, end: request.responseEnd, url: request.name });
        });
        observer.observe(status, { childList: true, characterData: true, subtree: true });
        textarea.value = text;
        input = performance.now();
        textarea.dispatchEvent(new Event('input', { bubbles: true }));
      }),
    /** @type {const} */ ([area, round, NOTE_BYTES]),
  );
  const t = /** @type {{ input: number, saved: number, start: number, end: number, url: string }} */ (times);
  return {
    total: t.saved - t.input - DEBOUNCE_MS,
    before: t.start - t.input - DEBOUNCE_MS,
    request: t.end - t.start,
    after: t.saved - t.end,
    noteId: new URL(t.url).pathname.split('/').pop() ?? '',
  };
}

/**
 * The baseline save: the same browser PATCHes 1 MiB of plain text into an unencrypted record.
 * @param {import('@playwright/test').Page} page
 * @param {string} recordId
 * @param {number} round
 */
async function timePlainSave(page, recordId, round) {
  return page.evaluate(
    async ({ path, key, r, bytes }) => {
      const token = JSON.parse(localStorage.getItem(key) ?? '{}').token;
      const text = /** @type {any} */ (window).__benchText(r, bytes);
      const started = performance.now();
      const res = await fetch(path, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', Authorization: token },
        body: JSON.stringify({ text }),
      });
      const json = await res.json();
      if (!res.ok || json.text.length !== bytes) throw new Error(`plain save: ${res.status}`);
      return performance.now() - started;
    },
    { path: `/api/collections/${PLAIN}/records/${recordId}`, key: AUTH_KEY, r: round, bytes: NOTE_BYTES },
  );
}

/**
 * The server's data: two users with their notes, and an unencrypted collection with one record for
 * the baseline save.
 * @param {string} url
 * @param {NotesCrypto} c
 */
async function seed(url, c) {
  const admin = await api(url, '', 'POST', '/api/collections/_superusers/auth-with-password', ADMIN);
  const started = Date.now();
  const big = await seedUser(url, admin.token, c, 'bench-1000@example.com', BIG);
  const small = await seedUser(url, admin.token, c, 'bench-100@example.com', SMALL);
  console.log(`seeded ${BIG + SMALL} notes in ${fmt((Date.now() - started) / 1000, 1)} s`);
  const signedIn = '@request.auth.id != ""';
  await api(url, admin.token, 'POST', '/api/collections', {
    name: PLAIN,
    type: 'base',
    viewRule: signedIn,
    updateRule: signedIn,
    fields: [{ name: 'text', type: 'text', max: 4 * NOTE_BYTES }],
  });
  const plain = await api(url, admin.token, 'POST', `/api/collections/${PLAIN}/records`, { text: '' });
  return { big, small, plainId: /** @type {string} */ (plain.id) };
}

/**
 * A page signed in as `user` (the SDK's session in localStorage before any script runs).
 * @param {import('@playwright/test').Browser} browser
 * @param {string} url
 * @param {BenchUser} user
 */
async function pageFor(browser, url, user) {
  const context = await browser.newContext({ baseURL: url });
  await context.addInitScript(
    ([key, value]) => localStorage.setItem(/** @type {string} */ (key), /** @type {string} */ (value)),
    [AUTH_KEY, JSON.stringify({ token: user.token, record: user.record })],
  );
  await context.addInitScript(pageHelpers);
  return context.newPage();
}

/**
 * Saves into the first note of the unlocked page, each save followed by the baseline save; one
 * untimed pair first.
 * @param {import('@playwright/test').Page} page
 * @param {string} plainId
 * @param {number} rounds
 */
async function measureSaves(page, plainId, rounds) {
  await page
    .getByRole('complementary', { name: 'Notes' })
    .getByRole('listitem')
    .first()
    .getByRole('button')
    .click();
  await timeSave(page, 0);
  await timePlainSave(page, plainId, 0);
  /** @type {Awaited<ReturnType<typeof timeSave>>[]} */
  const saves = [];
  /** @type {number[]} */
  const plain = [];
  for (let r = 1; r <= rounds; r++) {
    saves.push(await timeSave(page, r));
    // The save's realtime echo (the whole record) reaches this page too; let it pass first.
    await page.waitForTimeout(250);
    plain.push(await timePlainSave(page, plainId, r));
  }
  return { saves, plain };
}

/** Median, least and most. @param {number[]} xs */
function spread(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}
const ms = (/** @type {number} */ n) => `${fmt(n, 1)} ms`;
const range = (/** @type {ReturnType<typeof spread>} */ x) => `${ms(x.median)} (${fmt(x.min)}–${fmt(x.max)})`;

/** @param {Awaited<ReturnType<typeof timeUnlock>>[]} runs */
function summarizeList(runs) {
  return {
    dom: spread(runs.map((x) => x.dom)),
    painted: spread(runs.map((x) => x.painted)),
    fetched: median(runs.map((x) => x.fetched)),
    requests: Math.max(...runs.map((x) => x.requests)),
    baseline: spread(runs.map((x) => x.baseline)),
  };
}

/** @param {Awaited<ReturnType<typeof measureSaves>>} measured */
function summarizeSaves({ saves, plain }) {
  return {
    total: spread(saves.map((x) => x.total)),
    before: median(saves.map((x) => x.before)),
    request: median(saves.map((x) => x.request)),
    after: median(saves.map((x) => x.after)),
    baseline: spread(plain),
  };
}

/**
 * Prints the figures and returns the section for docs/BENCHMARKS.md.
 * @param {number} rounds
 * @param {{ big: ReturnType<typeof summarizeList>, small: ReturnType<typeof summarizeList>, save: ReturnType<typeof summarizeSaves>, sealedBytes: number }} r
 */
function report(rounds, { big, small, save, sealedBytes }) {
  const verdict = (/** @type {number} */ t) => (t < GOAL_MS ? 'met' : 'MISSED');
  const ratio = (/** @type {number} */ a, /** @type {number} */ b) => fmt(a / b, 2);
  const sealed = `${fmt(sealedBytes / 1024 / 1024, 2)} MiB`;
  for (const [n, x] of /** @type {const} */ ([
    [BIG, big],
    [SMALL, small],
  ])) {
    console.log(
      `${fmt(n)} notes, unlock to list painted: ${range(x.painted)} (in the DOM ${ms(x.dom.median)}); baseline fetch ${ms(x.baseline.median)} (ratio ${ratio(x.painted.median, x.baseline.median)})${n === BIG ? `; goal < ${GOAL_MS} ms ${verdict(x.painted.median)}` : ''}`,
    );
  }
  console.log(
    `1 MiB note saved: ${range(save.total)} after the debounce (before the request ${ms(save.before)}, request ${ms(save.request)}, after ${ms(save.after)}); plain PATCH ${ms(save.baseline.median)} (ratio ${ratio(save.total.median, save.baseline.median)}); sealed ${sealed}`,
  );
  const row = (/** @type {number} */ n, /** @type {typeof big} */ x) =>
    `| ${fmt(n)} | ${range(x.painted)} | ${ms(x.dom.median)} | ${ms(x.fetched)} (${x.requests} ${x.requests === 1 ? 'request' : 'requests'}) | ${ms(x.baseline.median)} | **${ratio(x.painted.median, x.baseline.median)}** | ${n === BIG ? `< ${GOAL_MS} ms: **${verdict(x.painted.median)}**` : ''} |`;
  return [
    `Chromium (Debian's, headless) via Playwright against the built Hearth on loopback; median (least–most) of ${rounds} rounds after one untimed round. Notes sealed with the app's own code (\`web/lib/crypto\`, \`notes.model.ts\`, bundled for Node at start) and created through the API by their owner.`,
    '',
    `**List after unlock.** From the unlock form leaving the DOM (key derived and unwrapped) to the list holding every note, painted (the task after the next animation frame) and in the DOM (MutationObserver). "App's fetch": unlock to the app's last list response. Baseline: the same page \`fetch\`es the URL of the app's first list request with the same token and parses the JSON; no decryption, no rendering.`,
    '',
    "| notes | unlock → painted | unlock → in DOM | app's fetch | baseline fetch + JSON | ratio (painted / baseline) | goal |",
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    row(BIG, big),
    row(SMALL, small),
    '',
    `**Saving a 1 MiB note** (1,048,576 ASCII characters of text, sealed ${sealed} of base64url) in the unlocked app holding ${fmt(BIG)} notes: from the \`input\` event to the status "Saved", less the ${DEBOUNCE_MS} ms autosave debounce; resource timing splits it. Baseline: the same page PATCHes the same 1 MiB of text as JSON into an unencrypted text field (\`JSON.stringify\`, \`fetch\`, \`res.json()\`).`,
    '',
    '| figure | median (least–most) |',
    '| --- | ---: |',
    `| app: input → "Saved", less the debounce | ${range(save.total)} |`,
    `| … before the request (input, timer lateness, snapshot, seal, stringify) | ${ms(save.before)} |`,
    `| … the PATCH (request start → response end) | ${ms(save.request)} |`,
    `| … after the response (parse, list update, status) | ${ms(save.after)} |`,
    `| baseline: plain PATCH of 1 MiB | ${range(save.baseline)} |`,
    `| ratio app / baseline | **${ratio(save.total.median, save.baseline.median)}** |`,
  ].join('\n');
}

/**
 * @param {{ rounds?: number }} [options]
 * @returns {Promise<import('./run.js').BenchResult>}
 */
export async function run(options = {}) {
  const rounds = options.rounds ?? 5;
  const dir = tempDir('hearth-bench-notes-');
  /** @type {Awaited<ReturnType<typeof startHearth>> | undefined} */
  let hearth;
  /** @type {import('@playwright/test').Browser | undefined} */
  let browser;
  try {
    const c = await loadCrypto(join(dir, 'crypto'));
    const up = await runCli(['superuser', 'upsert', ADMIN.identity, ADMIN.password, '--dir', dir]);
    if (up.code !== 0) throw new Error(`superuser upsert failed: ${up.stderr}`);
    hearth = await startHearth({ dir });
    const { big, small, plainId } = await seed(hearth.url, c);

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
    const bigPage = await pageFor(browser, hearth.url, big);
    const smallPage = await pageFor(browser, hearth.url, small);
    // One untimed round each: the first load fetches the app's scripts.
    await timeUnlock(bigPage, BIG);
    await timeUnlock(smallPage, SMALL);
    /** @type {Awaited<ReturnType<typeof timeUnlock>>[]} */
    const bigRuns = [];
    /** @type {Awaited<ReturnType<typeof timeUnlock>>[]} */
    const smallRuns = [];
    for (let r = 0; r < rounds; r++) {
      bigRuns.push(await timeUnlock(bigPage, BIG));
      smallRuns.push(await timeUnlock(smallPage, SMALL));
    }
    await smallPage.context().close();
    // The 1 000-note page is still unlocked from its last round.
    const saves = await measureSaves(bigPage, plainId, rounds);
    await bigPage.context().close();

    const noteId = saves.saves[0]?.noteId;
    const stored = await api(
      hearth.url,
      big.token,
      'GET',
      `/api/collections/notes/records/${noteId}?fields=ciphertext`,
    );
    const markdown = report(rounds, {
      big: summarizeList(bigRuns),
      small: summarizeList(smallRuns),
      save: summarizeSaves(saves),
      sealedBytes: String(stored.ciphertext).length,
    });
    return { name: 'notes', ok: true, markdown };
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
