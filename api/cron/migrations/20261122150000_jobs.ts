import type BetterSqlite3 from 'better-sqlite3';

/**
 * Scheduled jobs (api/cron) and their run history. `leaseUntil`/`leaseBy` keep a job from running
 * twice at once, across processes too (a CLI, or several instances later): a run first claims the
 * lease with a conditional UPDATE.
 */
export function up(sql: BetterSqlite3.Database): void {
  sql.exec(`CREATE TABLE _jobs (
    id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 100),
    schedule TEXT NOT NULL,
    handler TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    system INTEGER NOT NULL DEFAULT 0 CHECK (system IN (0, 1)),
    lastRun TEXT NOT NULL DEFAULT '',
    nextRun TEXT NOT NULL DEFAULT '',
    lastStatus TEXT NOT NULL DEFAULT '' CHECK (lastStatus IN ('', 'ok', 'failed')),
    lastResult TEXT NOT NULL DEFAULT '',
    leaseUntil TEXT NOT NULL DEFAULT '',
    leaseBy TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
  ) STRICT`);
  sql.exec(`CREATE INDEX _jobs_next ON _jobs (enabled, nextRun)`);
  sql.exec(`CREATE TABLE _jobRuns (
    id TEXT PRIMARY KEY NOT NULL,
    job TEXT NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    started TEXT NOT NULL,
    finished TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    result TEXT NOT NULL DEFAULT ''
  ) STRICT`);
  sql.exec(`CREATE INDEX _jobRuns_job ON _jobRuns (job, started)`);
}
