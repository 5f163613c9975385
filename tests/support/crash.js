// The durability check of docs/operating.md, shared by the test (20 cycles) and bench/crash.js (200):
// a burst of acknowledged writes against the real server, SIGKILL in the middle of it, restart, and
// check that every write that got a 2xx is there and `PRAGMA integrity_check` says ok.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { runCli, startHearth } from './hearth.js';

export const CRASH_ADMIN = { email: 'crash-admin@example.com', password: 'crash admin password' };

/** Prepares a data folder with the superuser the bursts sign in as. @param {string} dir */
export async function prepareCrashDir(dir) {
  const r = await runCli(['superuser', 'upsert', CRASH_ADMIN.email, CRASH_ADMIN.password, '--dir', dir]);
  if (r.code !== 0) throw new Error(`superuser upsert failed: ${r.stderr}`);
}

/**
 * One cycle: start, sign in, write from `concurrency` clients, SIGKILL after `burstMs`, then check
 * the database on disk. Resolves to what was acknowledged and what was found.
 * @param {string} dir
 * @param {{ cycle: number, burstMs: number, concurrency?: number }} options
 */
export async function crashCycle(dir, { cycle, burstMs, concurrency = 8 }) {
  const hearth = await startHearth({ dir });
  const auth = await fetch(`${hearth.url}/api/collections/_superusers/auth-with-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ identity: CRASH_ADMIN.email, password: CRASH_ADMIN.password }),
  });
  if (!auth.ok) throw new Error(`sign-in failed: ${auth.status} ${await auth.text()}`);
  const { token } = /** @type {{ token: string }} */ (await auth.json());

  /** @type {string[]} */
  const acknowledged = [];
  /** @type {unknown[]} */
  const failures = [];
  let killing = false;
  let attempted = 0;
  const client = async (/** @type {number} */ w) => {
    for (let n = 0; !killing; n++) {
      const email = `c${cycle}-w${w}-n${n}@crash.test`;
      attempted++;
      try {
        const res = await fetch(`${hearth.url}/api/collections/_superusers/records`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: token },
          body: JSON.stringify({ email, password: 'burst password 1', passwordConfirm: 'burst password 1' }),
        });
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) acknowledged.push(email);
        else failures.push(new Error(`write failed with ${res.status}`));
      } catch (err) {
        // Connections cut by the kill are expected; anything before it is a failure.
        if (!killing) failures.push(err);
      }
    }
  };
  const clients = Array.from({ length: concurrency }, (_, w) => client(w));
  await new Promise((r) => setTimeout(r, burstMs));
  killing = true;
  await hearth.kill();
  await Promise.all(clients);
  if (failures.length > 0)
    throw new Error(`writes failed before the kill: ${failures.map(String).join('; ')}`);
  // Writes acknowledged before the kill are the only ones that must survive.
  const mustExist = [...acknowledged];

  // Restart: recovery runs as the server opens the database; then look at the file as it is on disk.
  const again = await startHearth({ dir });
  await again.stop();
  const db = new Database(join(dir, 'data.db'), { readonly: true, fileMustExist: true });
  try {
    const integrity = /** @type {string} */ (db.pragma('integrity_check', { simple: true }));
    const has = db.prepare('SELECT 1 FROM _superusers WHERE email = ?').pluck();
    const missing = mustExist.filter((email) => !has.get(email));
    return { acknowledged: mustExist.length, attempted, missing, integrity };
  } finally {
    db.close();
  }
}
