import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDatabase, type Database } from '../core/db';
import { silentLogger } from '../core/logger';
import { formatDateTime } from '../lib/time';
import { DATABASE_FILE, openStores, type Stores } from '../main';
import { testHearth } from '../testing/hearth';
import { Scheduler, type JobContext } from './cron.scheduler';
import {
  claimJob,
  dueJobs,
  findJob,
  insertJob,
  listJobs,
  listRuns,
  startRun,
  updateJob,
  type RunRow,
} from './cron.store';

// The scheduler against a real data.db (migrated by openStores). Time is the `now` option, moved by
// hand, and runs are started with tick()/runNow() and awaited with idle(): no waiting on timers,
// except for the time limit, which is a real timer.

const T0 = new Date('2026-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let dir: string;
let stores: Stores;
let db: Database;
/** Extra connections and schedulers made by a test, closed after it. */
let others: Database[];
let schedulers: Scheduler[];
let clock: Date;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-cron-'));
  stores = openStores(dir, silentLogger());
  db = stores.db;
  others = [];
  schedulers = [];
  clock = T0;
});

afterEach(async () => {
  for (const s of schedulers) await s.stop(1000);
  for (const other of others) other.close();
  await stores.bus.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (ms: number): Date => new Date(T0.getTime() + ms);
const text = (ms: number): string => formatDateTime(at(ms));

/** A pino logger whose entries are kept as parsed JSON. */
function recordingLogger() {
  const entries: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void entries.push(JSON.parse(line)) });
  return { logger, entries };
}

function scheduler(
  options: {
    db?: Database;
    logger?: pino.Logger;
    keepRuns?: number;
    logFailure?: (job: string, message: string) => void;
  } = {},
): Scheduler {
  const s = new Scheduler({
    db: options.db ?? db,
    logger: options.logger ?? silentLogger(),
    logFailure: options.logFailure,
    keepRuns: options.keepRuns,
    now: () => clock,
  });
  schedulers.push(s);
  return s;
}

/** A second connection to the same data.db, as another process (the CLI, a second instance) has. */
function secondConnection(): Database {
  const other = openDatabase(join(dir, DATABASE_FILE));
  others.push(other);
  return other;
}

function addJob(
  id: string,
  fields: { schedule?: string; handler?: string; enabled?: boolean; nextRun?: string } = {},
  on: Database = db,
): void {
  insertJob(
    on,
    {
      id,
      schedule: fields.schedule ?? 'every 1h',
      handler: fields.handler ?? 'count',
      enabled: fields.enabled ?? true,
      system: false,
      nextRun: fields.nextRun ?? formatDateTime(clock),
    },
    clock,
  );
}

function runs(job: string): RunRow[] {
  return listRuns(db, job, 1, 1000).items;
}

/** A handler counting its calls; `release()` lets the calls waiting on `gate` finish. */
function counter(options: { gated?: boolean } = {}) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const state = {
    calls: 0,
    handler: async () => {
      state.calls += 1;
      if (options.gated) await gate;
      return `call ${state.calls}`;
    },
    release: () => open(),
  };
  return state;
}

describe('running due jobs', () => {
  test('a due job runs once, its outcome is kept, and its next run moves on', async () => {
    const s = scheduler();
    const count = counter();
    s.handle('count', count.handler);
    addJob('tidy', { schedule: 'every 1h' });

    clock = at(1000);
    await s.tick();
    await s.tick(); // the same moment again: no longer due
    await s.idle();
    expect(count.calls).toBe(1);
    expect(findJob(db, 'tidy')).toMatchObject({
      lastRun: text(1000),
      lastStatus: 'ok',
      lastResult: 'call 1',
      nextRun: text(1000 + HOUR),
      leaseUntil: '',
    });
    expect(runs('tidy')).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{16}$/),
        job: 'tidy',
        trigger: 'schedule',
        started: text(1000),
        finished: text(1000),
        status: 'ok',
        result: 'call 1',
      },
    ]);

    clock = at(30 * MINUTE);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(1);

    clock = at(HOUR + 1000);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(2);
    expect(findJob(db, 'tidy')?.nextRun).toBe(text(2 * HOUR + 1000));
    expect(runs('tidy').map((r) => r.result)).toEqual(['call 2', 'call 1']);
  });

  test('a cron job moves on to its next time in UTC', async () => {
    const s = scheduler();
    const count = counter();
    s.handle('count', count.handler);
    addJob('nightly', { schedule: '0 3 * * *', nextRun: text(3 * HOUR) });

    clock = at(2 * HOUR);
    await s.tick();
    expect(count.calls).toBe(0);

    clock = at(3 * HOUR + 500);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(1);
    expect(findJob(db, 'nightly')?.nextRun).toBe('2026-01-02 03:00:00.000Z');
  });

  test('a disabled job does not run on its schedule, but runs when asked to', async () => {
    const s = scheduler();
    const count = counter();
    s.handle('count', count.handler);
    addJob('off', { enabled: false });

    clock = at(HOUR);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(0);
    expect(runs('off')).toEqual([]);

    const run = s.runNow('off');
    expect(run).toBeInstanceOf(Promise);
    await run;
    expect(count.calls).toBe(1);
    expect(runs('off')).toMatchObject([{ trigger: 'manual', status: 'ok' }]);
  });

  test('runNow keeps the next scheduled time, and says "missing" for no such job', async () => {
    const s = scheduler();
    s.handle('count', counter().handler);
    addJob('later', { nextRun: text(5 * HOUR) });
    await s.runNow('later');
    expect(findJob(db, 'later')).toMatchObject({ nextRun: text(5 * HOUR), lastStatus: 'ok' });
    expect(s.runNow('nope')).toBe('missing');
  });
});

describe('several connections (other processes)', () => {
  test('a job added and changed through another connection is picked up without a restart', async () => {
    const s = scheduler();
    const count = counter();
    s.handle('count', count.handler);
    await s.tick(); // running, with nothing to do yet

    const other = secondConnection();
    addJob('from-cli', { schedule: 'every 1h', nextRun: text(MINUTE) }, other);
    clock = at(MINUTE);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(1);

    // Disabled from elsewhere before its next time: it no longer runs.
    const job = findJob(other, 'from-cli')!;
    updateJob(other, 'from-cli', { ...job, enabled: false }, clock);
    clock = at(2 * HOUR);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(1);
  });

  test('two schedulers on the same file run a slow job once: the lease', async () => {
    const other = secondConnection();
    const a = scheduler();
    const b = scheduler({ db: other });
    const slow = counter({ gated: true });
    a.handle('count', slow.handler);
    b.handle('count', slow.handler);
    addJob('slow', { schedule: 'every 1h' });

    clock = at(1000);
    await Promise.all([a.tick(), b.tick()]);
    expect(slow.calls).toBe(1);
    expect(findJob(db, 'slow')?.leaseUntil).not.toBe('');

    // Due again (an admin moved its time) while the run goes on: neither process starts a second.
    other.sql.prepare(`UPDATE _jobs SET nextRun = ? WHERE id = 'slow'`).run(text(0));
    await Promise.all([a.tick(), b.tick()]);
    expect(slow.calls).toBe(1);
    expect(b.runNow('slow')).toBe('busy');
    expect(a.runNow('slow')).toBe('busy');
    expect(a.isRunning('slow')).toBe(true);
    expect(b.isRunning('slow')).toBe(false);

    slow.release();
    await Promise.all([a.idle(), b.idle()]);
    expect(slow.calls).toBe(1);
    expect(runs('slow')).toMatchObject([{ status: 'ok', result: 'call 1' }]);
    expect(findJob(db, 'slow')?.leaseUntil).toBe('');

    // Once the lease is let go, the other process may run it.
    const again = b.runNow('slow');
    expect(again).toBeInstanceOf(Promise);
    await again;
    expect(slow.calls).toBe(2);
  });

  test('two connections that both saw a job due: only one claim wins', () => {
    const other = secondConnection();
    addJob('contested');
    clock = at(1000);
    expect(dueJobs(db, clock).map((j) => j.id)).toEqual(['contested']);
    expect(dueJobs(other, clock).map((j) => j.id)).toEqual(['contested']);
    const until = at(HOUR);
    const next = text(HOUR + 1000);
    const won = [
      claimJob(db, 'contested', 'instance-a', until, next, clock),
      claimJob(other, 'contested', 'instance-b', until, next, clock),
    ];
    expect(won).toEqual([true, false]);
    expect(db.sql.prepare(`SELECT leaseBy FROM _jobs WHERE id = 'contested'`).pluck().get()).toBe(
      'instance-a',
    );
    expect(dueJobs(other, clock)).toEqual([]);
  });

  test('a run left by a process that died is taken over once its lease expired, and marked failed', async () => {
    const s = scheduler();
    const count = counter();
    s.handle('count', count.handler);
    addJob('orphan', { schedule: 'every 1h', nextRun: text(0) });
    // A fake instance claimed it at T0 - 2 h with a lease until T0 + 10 min, then died.
    const old = startRun(db, 'orphan', 'schedule', at(-2 * HOUR));
    db.sql
      .prepare(`UPDATE _jobs SET leaseUntil = ?, leaseBy = 'deadbeef0000' WHERE id = 'orphan'`)
      .run(text(10 * MINUTE));

    // The lease still holds: nothing runs.
    clock = at(MINUTE);
    await s.tick();
    await s.idle();
    expect(s.runNow('orphan')).toBe('busy');
    expect(count.calls).toBe(0);
    expect(runs('orphan')).toMatchObject([{ id: old, status: 'running' }]);

    // Past it, the job is taken over.
    clock = at(11 * MINUTE);
    await s.tick();
    await s.idle();
    expect(count.calls).toBe(1);
    const [mine, theirs] = runs('orphan');
    expect(mine).toMatchObject({ status: 'ok', started: text(11 * MINUTE) });
    expect(theirs).toEqual({
      id: old,
      job: 'orphan',
      trigger: 'schedule',
      started: text(-2 * HOUR),
      finished: text(11 * MINUTE),
      status: 'failed',
      result: expect.stringMatching(/^Interrupted/),
    });
    expect(findJob(db, 'orphan')).toMatchObject({ leaseUntil: '', lastStatus: 'ok' });
  });
});

describe('failures', () => {
  test('a throwing handler: failed run with the message, logged, and run again at its next time', async () => {
    const { logger, entries } = recordingLogger();
    const failures: [string, string][] = [];
    const s = scheduler({ logger, logFailure: (job, message) => failures.push([job, message]) });
    let calls = 0;
    s.handle('flaky', () => {
      calls += 1;
      if (calls === 1) throw new Error('disk on fire');
      return 'fine now';
    });
    addJob('flaky', { schedule: 'every 1h', handler: 'flaky' });

    await s.tick();
    await s.idle();
    expect(findJob(db, 'flaky')).toMatchObject({
      lastStatus: 'failed',
      lastResult: 'disk on fire',
      nextRun: text(HOUR),
      leaseUntil: '',
    });
    expect(runs('flaky')).toMatchObject([{ status: 'failed', result: 'disk on fire' }]);
    expect(failures).toEqual([['flaky', 'disk on fire']]);
    expect(entries).toContainEqual(
      expect.objectContaining({
        msg: 'scheduled job failed',
        job: 'flaky',
        err: expect.objectContaining({ message: 'disk on fire' }),
      }),
    );

    clock = at(30 * MINUTE);
    await s.tick();
    await s.idle();
    expect(calls).toBe(1);

    clock = at(HOUR);
    await s.tick();
    await s.idle();
    expect(calls).toBe(2);
    expect(findJob(db, 'flaky')).toMatchObject({ lastStatus: 'ok', lastResult: 'fine now' });
    expect(runs('flaky').map((r) => r.status)).toEqual(['ok', 'failed']);
  });

  test('a handler rejecting with something other than an Error still fails the run', async () => {
    const s = scheduler();
    s.handle('odd', () => Promise.reject('just a string'));
    addJob('odd', { handler: 'odd' });
    await s.runNow('odd');
    expect(runs('odd')).toMatchObject([{ status: 'failed', result: 'just a string' }]);
  });

  test('a job naming a handler this server lacks: a failed run saying so', async () => {
    const { logger, entries } = recordingLogger();
    const s = scheduler({ logger });
    addJob('ghost', { handler: 'backups.create' });
    await s.tick();
    await s.idle();
    expect(runs('ghost')).toMatchObject([
      { status: 'failed', result: 'No handler "backups.create" in this server.' },
    ]);
    expect(findJob(db, 'ghost')).toMatchObject({ lastStatus: 'failed', nextRun: text(HOUR) });
    expect(entries.some((e) => e['msg'] === 'scheduled job failed' && e['job'] === 'ghost')).toBe(true);
  });

  test('a schedule nobody can read (edited by hand) parks its job; the tick goes on', async () => {
    const { logger, entries } = recordingLogger();
    const s = scheduler({ logger });
    const count = counter();
    s.handle('count', count.handler);
    addJob('broken');
    addJob('healthy');
    db.sql.prepare(`UPDATE _jobs SET schedule = 'whenever you like' WHERE id = 'broken'`).run();

    await expect(s.tick()).resolves.toBeUndefined();
    await s.idle();
    expect(count.calls).toBe(1);
    expect(runs('healthy')).toHaveLength(1);
    expect(runs('broken')).toEqual([]);
    expect(findJob(db, 'broken')?.nextRun).toBe('9999-12-31 23:59:59.999Z');
    expect(entries).toContainEqual(
      expect.objectContaining({
        job: 'broken',
        msg: 'scheduler: the job has a schedule that cannot be read',
      }),
    );

    clock = at(400 * 24 * HOUR);
    await s.tick();
    await s.idle();
    expect(runs('broken')).toEqual([]);
  });

  test('a handler that never ends is stopped at its time limit, and its signal aborted', async () => {
    const s = scheduler();
    let signal: AbortSignal | undefined;
    s.handle(
      'hang',
      (context: JobContext) => {
        signal = context.signal;
        return new Promise<never>(() => {});
      },
      { timeoutMs: 50 },
    );
    addJob('hang', { handler: 'hang' });
    await s.runNow('hang');
    expect(signal?.aborted).toBe(true);
    expect(runs('hang')).toMatchObject([{ status: 'failed', result: expect.stringMatching(/^Timed out/) }]);
    expect(findJob(db, 'hang')).toMatchObject({ lastStatus: 'failed', leaseUntil: '' });
    expect(s.isRunning('hang')).toBe(false);
  });

  test('stop() aborts the runs going on and records them failed', async () => {
    const s = scheduler();
    let signal: AbortSignal | undefined;
    s.handle('long', (context: JobContext) => {
      signal = context.signal;
      return new Promise<never>(() => {});
    });
    addJob('long', { handler: 'long' });
    await s.tick();
    expect(s.isRunning('long')).toBe(true);
    expect(runs('long')).toMatchObject([{ status: 'running' }]);

    await s.stop(5000);
    expect(signal?.aborted).toBe(true);
    expect(s.isRunning('long')).toBe(false);
    expect(runs('long')).toMatchObject([{ status: 'failed', result: 'The server is stopping.' }]);
    expect(findJob(db, 'long')).toMatchObject({ leaseUntil: '', lastStatus: 'failed' });
  });
});

describe('history', () => {
  test('keeps only the keepRuns newest runs of each job', async () => {
    const s = scheduler({ keepRuns: 3 });
    s.handle('count', counter().handler);
    addJob('busy-bee');
    addJob('neighbour');
    await s.runNow('neighbour');
    for (let i = 1; i <= 5; i += 1) {
      clock = at(i * MINUTE);
      await s.runNow('busy-bee');
    }
    expect(runs('busy-bee').map((r) => r.started)).toEqual([
      text(5 * MINUTE),
      text(4 * MINUTE),
      text(3 * MINUTE),
    ]);
    expect(runs('busy-bee').map((r) => r.result)).toEqual(['call 6', 'call 5', 'call 4']);
    expect(runs('neighbour')).toHaveLength(1);
  });
});

describe('ensureSystemJob', () => {
  test("creates a built-in job once and keeps an admin's changes, unless follow says otherwise", async () => {
    const s = scheduler();
    s.handle('count', counter().handler);
    s.ensureSystemJob({ id: '__sys__', handler: 'count', schedule: ' every  6h ', enabled: true });
    expect(findJob(db, '__sys__')).toMatchObject({
      schedule: 'every 6h',
      handler: 'count',
      enabled: true,
      system: true,
      nextRun: text(0),
    });

    clock = at(MINUTE);
    await s.runNow('__sys__');
    clock = at(2 * MINUTE);
    const job = findJob(db, '__sys__')!;
    updateJob(db, '__sys__', { ...job, schedule: 'every 1d', enabled: false }, clock);

    // A restart: the admin's schedule and switch stay.
    clock = at(3 * MINUTE);
    s.ensureSystemJob({ id: '__sys__', handler: 'count', schedule: 'every 6h', enabled: true });
    expect(findJob(db, '__sys__')).toMatchObject({
      schedule: 'every 1d',
      enabled: false,
      updated: text(2 * MINUTE),
    });

    // A job whose schedule comes from a setting follows it, counting from its last run.
    s.ensureSystemJob({ id: '__sys__', handler: 'count', schedule: 'every 2h', enabled: true, follow: true });
    expect(findJob(db, '__sys__')).toMatchObject({
      schedule: 'every 2h',
      enabled: true,
      lastRun: text(MINUTE),
      nextRun: text(MINUTE + 2 * HOUR),
      updated: text(3 * MINUTE),
    });
    expect(listJobs(db).map((j) => j.id)).toEqual(['__sys__']);
  });
});

describe('in a Hearth', () => {
  test('the built-in jobs exist, and __pbLogsCleanup__ deletes old log entries', async () => {
    const hearth = testHearth();
    try {
      expect(listJobs(hearth.db)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: '__pbLogsCleanup__',
            schedule: 'every 6h',
            handler: 'logs.cleanup',
            enabled: true,
            system: true,
          }),
          expect.objectContaining({
            id: '__pbOTPCleanup__',
            schedule: 'every 1h',
            handler: 'otps.cleanup',
            enabled: true,
            system: true,
          }),
        ]),
      );
      expect(hearth.cron.handlerNames()).toEqual(expect.arrayContaining(['logs.cleanup', 'otps.cleanup']));

      await hearth.cron.idle(); // the start-up runs
      const old = formatDateTime(new Date(Date.now() - 30 * 24 * HOUR));
      const recent = formatDateTime(new Date());
      hearth.logs.store.insert([
        { id: 'oldlogentry0001', created: old, level: 0, message: 'old', data: '{}' },
        { id: 'newlogentry0001', created: recent, level: 0, message: 'new', data: '{}' },
      ]);
      const run = hearth.cron.runNow('__pbLogsCleanup__');
      expect(run).toBeInstanceOf(Promise);
      await run;
      expect(hearth.logs.store.find('oldlogentry0001')).toBeUndefined();
      expect(hearth.logs.store.find('newlogentry0001')).toBeDefined();
      expect(listRuns(hearth.db, '__pbLogsCleanup__', 1, 10).items[0]).toMatchObject({
        trigger: 'manual',
        status: 'ok',
        result: '1 old log entries deleted',
      });
    } finally {
      await hearth.cleanup();
    }
  });
});
