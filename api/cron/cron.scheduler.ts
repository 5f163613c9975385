import { randomBytes } from 'node:crypto';
import type { Database } from '../core/db';
import type { Logger } from '../core/logger';
import { formatDateTime } from '../lib/time';
import { nextRunAt, parseSchedule, type Schedule } from './cron.schedule';
import {
  claimJob,
  dueJobs,
  failInterruptedRuns,
  findJob,
  finishRun,
  releaseLeases,
  insertJob,
  setNextRun,
  startRun,
  type JobRow,
} from './cron.store';

/**
 * The scheduler (issue 9): jobs are rows of `_jobs`, so a job added or changed through the API, the
 * console or another process is seen at the next tick, without a restart. Each tick (every second)
 * asks the database for due jobs — one indexed query — and runs them. A run first claims the job's
 * lease with a conditional UPDATE, so a job never runs twice at once (in this process or another);
 * a lease outlives a crashed process only until it expires. A failing job is logged and runs again
 * at its next time.
 *
 * Handlers are code: capabilities register them by name (`handle`), and a job names its handler.
 */

export interface JobContext {
  job: string;
  /** Aborted when the run passes its time limit or the server stops. */
  signal: AbortSignal;
}

/** Does the job's work; what it returns (a line such as "3 entries deleted") is kept as the result. */
export type JobHandler = (context: JobContext) => Promise<string | void> | string | void;

interface Handler {
  run: JobHandler;
  timeoutMs: number;
}

export interface SchedulerOptions {
  db: Database;
  logger: Logger;
  /** Also writes failures to the request/app logs the console shows. */
  logFailure?: (job: string, message: string) => void;
  tickMs?: number;
  /** Runs kept per job. */
  keepRuns?: number;
  now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
/** A schedule that cannot be read (edited by hand in the database) parks the job here. */
const NEVER = '9999-12-31 23:59:59.999Z';

export class Scheduler {
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #logFailure: (job: string, message: string) => void;
  readonly #tickMs: number;
  readonly #keepRuns: number;
  readonly #now: () => Date;
  readonly #instance = randomBytes(6).toString('hex');
  readonly #handlers = new Map<string, Handler>();
  readonly #running = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #watchers: (() => void)[] = [];
  readonly #editHooks = new Map<string, (change: { schedule: string; enabled: boolean }) => void>();
  #ticking = false;

  constructor(options: SchedulerOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#logFailure = options.logFailure ?? (() => {});
    this.#tickMs = options.tickMs ?? 1000;
    this.#keepRuns = options.keepRuns ?? 100;
    this.#now = options.now ?? (() => new Date());
  }

  /** Registers a handler jobs can name. `timeoutMs` bounds one run (an hour by default). */
  handle(name: string, run: JobHandler, options: { timeoutMs?: number } = {}): void {
    this.#handlers.set(name, { run, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  handlerNames(): string[] {
    return [...this.#handlers.keys()].sort();
  }

  hasHandler(name: string): boolean {
    return this.#handlers.has(name);
  }

  /** Whether a run of the job is going on in this process. */
  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  /**
   * A built-in job: made with `schedule` and `enabled` when missing. An existing row keeps what an
   * admin set, unless `follow` says the schedule comes from elsewhere (a setting such as
   * backups.cron), in which case it is brought in line.
   */
  ensureSystemJob(job: {
    id: string;
    handler: string;
    schedule: string;
    enabled: boolean;
    follow?: boolean;
  }): void {
    const now = this.#now();
    const schedule = parseSchedule(job.schedule);
    this.#db.transaction(() => {
      const existing = findJob(this.#db, job.id);
      if (!existing) {
        insertJob(
          this.#db,
          { ...job, schedule: schedule.expression, system: true, nextRun: this.#next(schedule, now, null) },
          now,
        );
      } else if (
        job.follow &&
        (existing.schedule !== schedule.expression || existing.enabled !== job.enabled)
      ) {
        this.#db.sql
          .prepare(`UPDATE _jobs SET schedule = ?, enabled = ?, nextRun = ?, updated = ? WHERE id = ?`)
          .run(
            schedule.expression,
            job.enabled ? 1 : 0,
            this.#next(schedule, now, existing.lastRun ? new Date(existing.lastRun) : null),
            formatDateTime(now),
            job.id,
          );
      }
    });
  }

  /** The next run of a schedule as stored text. */
  nextRunText(expression: string, lastRun: string): string {
    return this.#next(
      parseSchedule(expression),
      this.#now(),
      lastRun ? new Date(lastRun.replace(' ', 'T')) : null,
    );
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#tickMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops ticking and aborts the runs going on, waiting for them to end (at most `graceMs`). */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const running = [...this.#running.values()];
    for (const r of running) r.abort.abort(new Error('The server is stopping.'));
    await Promise.race([
      Promise.allSettled(running.map((r) => r.promise)),
      new Promise((resolve) => setTimeout(resolve, graceMs).unref()),
    ]);
    // Runs that did not end in the grace time: their leases go now, not hours later at expiry.
    try {
      releaseLeases(this.#db, this.#instance, this.#now());
    } catch (err) {
      this.#logger.error({ err }, 'scheduler: releasing the leases failed');
    }
  }

  /**
   * Tells whoever owns a built-in job (onEdited) that an admin changed it: a job that follows a
   * setting (backups.cron) writes the change back, so the setting and the job never disagree.
   */
  edited(id: string, change: { schedule: string; enabled: boolean }): void {
    this.#editHooks.get(id)?.(change);
  }

  onEdited(id: string, hook: (change: { schedule: string; enabled: boolean }) => void): void {
    this.#editHooks.set(id, hook);
  }

  /** Calls `fn` at every tick while the scheduler runs (for things that follow settings). */
  onTick(fn: () => void): void {
    this.#watchers.push(fn);
  }

  /** Waits until the runs going on now have ended (for tests and for stopping). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#running.values()].map((r) => r.promise));
  }

  /** Starts every due job (without waiting for them). Public for tests, which drive time through `now`. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const watch of this.#watchers) watch();
      const now = this.#now();
      for (const job of dueJobs(this.#db, now)) void this.#launch(job, 'schedule', now);
    } catch (err) {
      this.#logger.error({ err }, 'scheduler: reading the due jobs failed');
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * Runs a job now, whatever its schedule (POST /api/crons/{id}); its next scheduled time stays.
   * 'missing' for no such job, 'busy' when a run holds it, else the run's promise.
   */
  runNow(id: string): 'missing' | 'busy' | Promise<void> {
    const job = findJob(this.#db, id);
    if (!job) return 'missing';
    return this.#launch(job, 'manual', this.#now()) ?? 'busy';
  }

  #launch(job: JobRow, trigger: 'schedule' | 'manual', now: Date): Promise<void> | null {
    if (this.#running.has(job.id)) return null;
    let nextRun = job.nextRun;
    if (trigger === 'schedule') {
      try {
        nextRun = this.#next(parseSchedule(job.schedule), now, now);
      } catch (err) {
        setNextRun(this.#db, job.id, NEVER);
        this.#logger.error({ job: job.id, err }, 'scheduler: the job has a schedule that cannot be read');
        return null;
      }
    }
    const handler = this.#handlers.get(job.handler);
    const timeoutMs = handler?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const claimed = this.#db.transaction(() => {
      if (!claimJob(this.#db, job.id, this.#instance, new Date(now.getTime() + timeoutMs), nextRun, now))
        return null;
      failInterruptedRuns(this.#db, job.id, now);
      return startRun(this.#db, job.id, trigger, now);
    });
    if (claimed === null) return null;
    const abort = new AbortController();
    const promise = this.#run(job, claimed, handler, abort, now).finally(() => this.#running.delete(job.id));
    this.#running.set(job.id, { promise, abort });
    return promise;
  }

  async #run(
    job: JobRow,
    runId: string,
    handler: Handler | undefined,
    abort: AbortController,
    started: Date,
  ): Promise<void> {
    let status: 'ok' | 'failed' = 'ok';
    let result: string;
    const timeoutMs = handler?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(
      () => abort.abort(new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s.`)),
      timeoutMs,
    );
    timer.unref();
    try {
      if (!handler) throw new Error(`No handler "${job.handler}" in this server.`);
      const aborted = new Promise<never>((_, reject) => {
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true });
      });
      result = String(
        (await Promise.race([
          Promise.resolve(handler.run({ job: job.id, signal: abort.signal })),
          aborted,
        ])) ?? '',
      );
    } catch (err) {
      status = 'failed';
      result = err instanceof Error ? err.message : String(err);
      this.#logger.error({ job: job.id, err }, 'scheduled job failed');
      this.#logFailure(job.id, result);
    } finally {
      clearTimeout(timer);
    }
    try {
      finishRun(
        this.#db,
        { id: runId, job: job.id, by: this.#instance, status, result: result.slice(0, 2000), started },
        this.#now(),
        this.#keepRuns,
      );
    } catch (err) {
      this.#logger.error({ job: job.id, err }, 'scheduler: recording the run failed');
    }
  }

  #next(schedule: Schedule, now: Date, lastRun: Date | null): string {
    const at = nextRunAt(schedule, now, lastRun);
    return at ? formatDateTime(at) : NEVER;
  }
}
