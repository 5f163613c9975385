import type PocketBase from 'pocketbase';
import type { ListResult } from 'pocketbase';

/**
 * The jobs API (api/cron/index.ts) as the console calls it: Hearth's /api/hearth/jobs for everything
 * PocketBase's /api/crons does not have, and `pb.crons.run` to start a job now.
 */

/** One job as GET /api/hearth/jobs lists it; times are UTC text (`2026-11-22 14:00:00.000Z`). */
export interface Job {
  id: string;
  /** A cron expression in UTC or `every 15m`. */
  schedule: string;
  handler: string;
  enabled: boolean;
  /** Built in: cannot be deleted, keeps its handler. */
  system: boolean;
  lastRun: string;
  nextRun: string;
  lastStatus: '' | 'ok' | 'failed';
  lastResult: string;
  running: boolean;
  /** False when this server has no handler of that name (the job fails when it runs). */
  handlerKnown: boolean;
  created: string;
  updated: string;
}

export interface JobList {
  items: Job[];
  /** The handlers this server has, for a new job. */
  handlers: string[];
}

/** One run of a job, newest first in its history. */
export interface JobRun {
  id: string;
  job: string;
  trigger: 'schedule' | 'manual';
  started: string;
  finished: string;
  status: 'running' | 'ok' | 'failed';
  result: string;
}

export interface NewJob {
  id: string;
  schedule: string;
  handler: string;
  enabled: boolean;
}

export type JobChange = Partial<Pick<Job, 'schedule' | 'handler' | 'enabled'>>;

const jobPath = (id: string) => `/api/hearth/jobs/${encodeURIComponent(id)}`;

// requestKey: null everywhere: two rows' switches flipped quickly must not cancel each other.
export function listJobs(pb: PocketBase): Promise<JobList> {
  return pb.send<JobList>('/api/hearth/jobs', { requestKey: null });
}

export function createJob(pb: PocketBase, job: NewJob): Promise<Job> {
  return pb.send<Job>('/api/hearth/jobs', { method: 'POST', body: job, requestKey: null });
}

export function updateJob(pb: PocketBase, id: string, change: JobChange): Promise<Job> {
  return pb.send<Job>(jobPath(id), { method: 'PATCH', body: change, requestKey: null });
}

export async function deleteJob(pb: PocketBase, id: string): Promise<void> {
  await pb.send(jobPath(id), { method: 'DELETE', requestKey: null });
}

/** Starts the job now; the run goes on after the answer (its outcome lands in the history). */
export async function runJob(pb: PocketBase, id: string): Promise<void> {
  await pb.crons.run(id, { requestKey: null });
}

export function listRuns(
  pb: PocketBase,
  id: string,
  page: number,
  perPage: number,
): Promise<ListResult<JobRun>> {
  return pb.send<ListResult<JobRun>>(`${jobPath(id)}/runs`, {
    query: { page, perPage },
    requestKey: null,
  });
}

/** Built-in jobs first (PocketBase's `__pb…__`), then by id. */
export function sortJobs(jobs: readonly Job[]): Job[] {
  return [...jobs].sort((a, b) => Number(b.system) - Number(a.system) || a.id.localeCompare(b.id));
}
