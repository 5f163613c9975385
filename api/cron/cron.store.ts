import { randomBytes } from 'node:crypto';
import type { Database } from '../core/db';
import { formatDateTime } from '../lib/time';
import { statement } from '../records/records.store';

/** The SQL of `_jobs` and `_jobRuns` (migration 20261122150000_jobs). */

export interface JobRow {
  id: string;
  schedule: string;
  handler: string;
  enabled: boolean;
  system: boolean;
  lastRun: string;
  nextRun: string;
  lastStatus: '' | 'ok' | 'failed';
  lastResult: string;
  /** Until when a run holds the job ('' when none does). */
  leaseUntil: string;
  created: string;
  updated: string;
}

export interface RunRow {
  id: string;
  job: string;
  trigger: 'schedule' | 'manual';
  started: string;
  finished: string;
  status: 'running' | 'ok' | 'failed';
  result: string;
}

type RawJob = Omit<JobRow, 'enabled' | 'system'> & { enabled: number; system: number };

function toJob(raw: RawJob | undefined): JobRow | undefined {
  return raw && { ...raw, enabled: raw.enabled === 1, system: raw.system === 1 };
}

const COLUMNS =
  'id, schedule, handler, enabled, system, lastRun, nextRun, lastStatus, lastResult, leaseUntil, created, updated';

export function listJobs(db: Database): JobRow[] {
  return (statement(db, `SELECT ${COLUMNS} FROM _jobs ORDER BY id`).all() as RawJob[]).map((r) => toJob(r)!);
}

export function findJob(db: Database, id: string): JobRow | undefined {
  return toJob(statement(db, `SELECT ${COLUMNS} FROM _jobs WHERE id = ?`).get(id) as RawJob | undefined);
}

/** Enabled jobs whose time has come (`nextRun` ≤ now) or that have no next time worked out yet. */
export function dueJobs(db: Database, now: Date): JobRow[] {
  return (
    statement(db, `SELECT ${COLUMNS} FROM _jobs WHERE enabled = 1 AND nextRun <= ? ORDER BY nextRun`).all(
      formatDateTime(now),
    ) as RawJob[]
  ).map((r) => toJob(r)!);
}

export function insertJob(
  db: Database,
  job: { id: string; schedule: string; handler: string; enabled: boolean; system: boolean; nextRun: string },
  now: Date,
): void {
  const at = formatDateTime(now);
  statement(
    db,
    `INSERT INTO _jobs (id, schedule, handler, enabled, system, nextRun, created, updated)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(job.id, job.schedule, job.handler, job.enabled ? 1 : 0, job.system ? 1 : 0, job.nextRun, at, at);
}

export function updateJob(
  db: Database,
  id: string,
  change: { schedule: string; handler: string; enabled: boolean; nextRun: string },
  now: Date,
): void {
  statement(
    db,
    `UPDATE _jobs SET schedule = ?, handler = ?, enabled = ?, nextRun = ?, updated = ? WHERE id = ?`,
  ).run(change.schedule, change.handler, change.enabled ? 1 : 0, change.nextRun, formatDateTime(now), id);
}

export function setNextRun(db: Database, id: string, nextRun: string): void {
  statement(db, `UPDATE _jobs SET nextRun = ? WHERE id = ?`).run(nextRun, id);
}

export function deleteJob(db: Database, id: string): boolean {
  return db.transaction(() => {
    statement(db, `DELETE FROM _jobRuns WHERE job = ?`).run(id);
    return statement(db, `DELETE FROM _jobs WHERE id = ?`).run(id).changes === 1;
  });
}

/**
 * Claims a job for one run: only if no other run holds it (no lease, or an expired one — a process
 * that died mid-run). True when this caller got it. `nextRun` is moved on in the same statement, so
 * a second tick (here or in another process) does not see the job as due again.
 */
export function claimJob(
  db: Database,
  id: string,
  by: string,
  until: Date,
  nextRun: string,
  now: Date,
): boolean {
  return (
    statement(
      db,
      `UPDATE _jobs SET leaseUntil = ?, leaseBy = ?, nextRun = ? WHERE id = ? AND (leaseUntil = '' OR leaseUntil < ?)`,
    ).run(formatDateTime(until), by, nextRun, id, formatDateTime(now)).changes === 1
  );
}

/** Ends a run: the lease is let go, the outcome kept on the job and in its history. */
export function finishRun(
  db: Database,
  run: { id: string; job: string; by: string; status: 'ok' | 'failed'; result: string; started: Date },
  now: Date,
  keepRuns: number,
): void {
  db.transaction(() => {
    statement(
      db,
      `UPDATE _jobs SET leaseUntil = '', leaseBy = '', lastRun = ?, lastStatus = ?, lastResult = ? WHERE id = ? AND leaseBy = ?`,
    ).run(formatDateTime(run.started), run.status, run.result, run.job, run.by);
    statement(db, `UPDATE _jobRuns SET finished = ?, status = ?, result = ? WHERE id = ?`).run(
      formatDateTime(now),
      run.status,
      run.result,
      run.id,
    );
    // Retention: the newest `keepRuns` runs of the job.
    statement(
      db,
      `DELETE FROM _jobRuns WHERE job = ? AND id NOT IN (SELECT id FROM _jobRuns WHERE job = ? ORDER BY started DESC, id DESC LIMIT ?)`,
    ).run(run.job, run.job, keepRuns);
  });
}

/** A stopping scheduler lets go of the jobs it still holds; their runs are marked interrupted. */
export function releaseLeases(db: Database, by: string, now: Date): void {
  db.transaction(() => {
    const held = statement(db, `SELECT id FROM _jobs WHERE leaseBy = ?`, true).all(by) as string[];
    statement(db, `UPDATE _jobs SET leaseUntil = '', leaseBy = '' WHERE leaseBy = ?`).run(by);
    for (const job of held) failInterruptedRuns(db, job, now);
  });
}

/** Runs left `running` by a process that died: they failed, and say so. */
export function failInterruptedRuns(db: Database, job: string, now: Date): void {
  statement(
    db,
    `UPDATE _jobRuns SET status = 'failed', finished = ?, result = 'Interrupted: the process running it stopped.' WHERE job = ? AND status = 'running'`,
  ).run(formatDateTime(now), job);
}

export function startRun(db: Database, job: string, trigger: RunRow['trigger'], started: Date): string {
  const id = randomBytes(8).toString('hex');
  statement(
    db,
    `INSERT INTO _jobRuns (id, job, trigger, started, status) VALUES (?, ?, ?, ?, 'running')`,
  ).run(id, job, trigger, formatDateTime(started));
  return id;
}

export function listRuns(
  db: Database,
  job: string,
  page: number,
  perPage: number,
): { items: RunRow[]; total: number } {
  const total = statement(db, `SELECT count(*) FROM _jobRuns WHERE job = ?`, true).get(job) as number;
  const items = statement(
    db,
    `SELECT id, job, trigger, started, finished, status, result FROM _jobRuns WHERE job = ? ORDER BY started DESC, id DESC LIMIT ? OFFSET ?`,
  ).all(job, perPage, (page - 1) * perPage) as RunRow[];
  return { items, total };
}
