// The durability check of docs/operating.md, shared by the test (20 cycles) and bench/crash.js (200):
// a burst of acknowledged writes against the real server, SIGKILL in the middle of it, restart, and
// check that every write that got a 2xx is there and `PRAGMA integrity_check` says ok.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { runCli, startHearth } from './hearth.js';

export const CRASH_ADMIN = { email: 'crash-admin@example.com', password: 'crash admin password' };
const CRASH_COLLECTION = 'crash_notes';

/** Prepares a data folder with the superuser the bursts sign in as. @param {string} dir */
export async function prepareCrashDir(dir) {
  const r = await runCli(['superuser', 'upsert', CRASH_ADMIN.email, CRASH_ADMIN.password, '--dir', dir]);
  if (r.code !== 0) throw new Error(`superuser upsert failed: ${r.stderr}`);
}

/**
 * The cheap writes of a burst: one sequential writer per setting, each PATCHing /api/settings with a
 * counter. Being sequential, a writer has at most one write in flight, so after the crash its setting
 * must hold the last acknowledged value or the one that was in flight — nothing older.
 * @type {{ key: string, section: string, field: string, value: (cycle: number, n: number) => string | number }[]}
 */
const SETTING_WRITERS = [
  { key: 'meta.appName', section: 'meta', field: 'appName', value: (c, n) => `c${c}-${n}` },
  { key: 'meta.appURL', section: 'meta', field: 'appURL', value: (c, n) => `http://crash.test/c${c}/${n}` },
  {
    key: 'http.maxBodySize',
    section: 'http',
    field: 'maxBodySize',
    value: (c, n) => 1048576 + c * 100000 + n,
  },
  {
    key: 'batch.maxRequests',
    section: 'batch',
    field: 'maxRequests',
    value: (c, n) => 1 + ((c * 1000 + n) % 10000),
  },
];

/**
 * One cycle: start, sign in, write from several clients at once — `concurrency` of them creating
 * superusers (rows that accumulate, slowed by password hashing), `recordWriters` creating records
 * in a collection (the storage API's write path) and one per setting PATCHing
 * /api/settings as fast as the server answers — SIGKILL after `burstMs`, restart, then check the
 * database on disk. Resolves to what was acknowledged and what was not found.
 * @param {string} dir
 * @param {{ cycle: number, burstMs: number, concurrency?: number, recordWriters?: number }} options
 */
export async function crashCycle(dir, { cycle, burstMs, concurrency = 2, recordWriters = 8 }) {
  const hearth = await startHearth({ dir });
  const auth = await fetch(`${hearth.url}/api/collections/_superusers/auth-with-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity: CRASH_ADMIN.email, password: CRASH_ADMIN.password }),
  });
  if (!auth.ok) throw new Error(`sign-in failed: ${auth.status} ${await auth.text()}`);
  const { token } = /** @type {{ token: string }} */ (await auth.json());
  const headers = { 'content-type': 'application/json', authorization: token };
  // Records go to a collection made on the first cycle (a real table, as every collection is).
  const exists = await fetch(`${hearth.url}/api/collections/${CRASH_COLLECTION}`, { headers });
  if (exists.status === 404) {
    const made = await fetch(`${hearth.url}/api/collections`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: CRASH_COLLECTION,
        fields: [{ name: 'label', type: 'text', required: true }],
      }),
    });
    if (!made.ok) throw new Error(`collection create failed: ${made.status} ${await made.text()}`);
  }

  /** @type {string[]} */
  const acknowledged = [];
  /** @type {Map<string, number>} last acknowledged counter per setting */
  const lastAcked = new Map();
  /** @type {unknown[]} */
  const failures = [];
  let killing = false;
  let attempted = 0;
  let settingWrites = 0;

  /** Sends one write; true when it was acknowledged. @param {string} path @param {string} method @param {unknown} body */
  const send = async (path, method, body) => {
    attempted++;
    try {
      const res = await fetch(`${hearth.url}${path}`, { method, headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status >= 200 && res.status < 300) return true;
      failures.push(new Error(`${method} ${path} failed with ${res.status}`));
    } catch (err) {
      // Connections cut by the kill are expected; anything before it is a failure.
      if (!killing) failures.push(err);
    }
    return false;
  };
  const creator = async (/** @type {number} */ w) => {
    for (let n = 0; !killing; n++) {
      const email = `c${cycle}-w${w}-n${n}@crash.test`;
      const body = { email, password: 'burst password 1', passwordConfirm: 'burst password 1' };
      if (await send('/api/collections/_superusers/records', 'POST', body)) acknowledged.push(email);
    }
  };
  /** @type {string[]} */
  const ackedRecords = [];
  const recordWriter = async (/** @type {number} */ w) => {
    for (let n = 0; !killing; n++) {
      const label = `c${cycle}-r${w}-n${n}`;
      if (await send(`/api/collections/${CRASH_COLLECTION}/records`, 'POST', { label }))
        ackedRecords.push(label);
    }
  };
  const settingWriter = async (/** @type {(typeof SETTING_WRITERS)[number]} */ w) => {
    for (let n = 0; !killing; n++) {
      if (await send('/api/settings', 'PATCH', { [w.section]: { [w.field]: w.value(cycle, n) } })) {
        lastAcked.set(w.key, n);
        settingWrites++;
      }
    }
  };
  const clients = [
    ...Array.from({ length: concurrency }, (_, w) => creator(w)),
    ...Array.from({ length: recordWriters }, (_, w) => recordWriter(w)),
    ...SETTING_WRITERS.map((w) => settingWriter(w)),
  ];
  await new Promise((r) => setTimeout(r, burstMs));
  killing = true;
  await hearth.kill();
  await Promise.all(clients);
  if (failures.length > 0)
    throw new Error(`writes failed before the kill: ${failures.map(String).join('; ')}`);
  // Writes acknowledged before the kill are the only ones that must survive.
  const mustExist = [...acknowledged];
  const recordsMustExist = [...ackedRecords];
  const settingsAcked = new Map(lastAcked);

  // Restart: recovery runs as the server opens the database; then look at the file as it is on disk.
  const again = await startHearth({ dir });
  await again.stop();
  const db = new Database(join(dir, 'data.db'), { readonly: true, fileMustExist: true });
  try {
    const integrity = /** @type {string} */ (db.pragma('integrity_check', { simple: true }));
    const has = db.prepare('SELECT 1 FROM _superusers WHERE email = ?').pluck();
    const param = db.prepare('SELECT value FROM _params WHERE key = ?').pluck();
    const hasRecord = db.prepare(`SELECT 1 FROM ${CRASH_COLLECTION} WHERE label = ?`).pluck();
    const missing = [
      ...mustExist.filter((email) => !has.get(email)),
      ...recordsMustExist.filter((label) => !hasRecord.get(label)),
    ];
    for (const w of SETTING_WRITERS) {
      const n = settingsAcked.get(w.key);
      if (n === undefined) continue;
      const raw = /** @type {string | undefined} */ (param.get(w.key));
      const found = raw === undefined ? undefined : JSON.parse(raw);
      if (found !== w.value(cycle, n) && found !== w.value(cycle, n + 1)) {
        missing.push(
          `${w.key}: acknowledged ${JSON.stringify(w.value(cycle, n))}, found ${JSON.stringify(found)}`,
        );
      }
    }
    return {
      acknowledged: mustExist.length + recordsMustExist.length + settingWrites,
      records: recordsMustExist.length,
      attempted,
      missing,
      integrity,
    };
  } finally {
    db.close();
  }
}
