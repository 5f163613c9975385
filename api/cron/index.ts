import { ApiError, fieldError, type ErrorData } from '../core/errors';
import { readJsonBody, requireSuperuser, type ApiApp } from '../core/http';
import type { Deps } from '../main';
import { formatDateTime } from '../lib/time';
import { parsePaging, result } from '../records/records.paging';
import { parseSchedule, ScheduleError } from './cron.schedule';
import { deleteJob, findJob, insertJob, listJobs, listRuns, updateJob, type JobRow } from './cron.store';

export { Scheduler, type JobHandler } from './cron.scheduler';

const JOB_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Jobs over HTTP (issue 9), superusers only.
 *
 * PocketBase's cron API (apis/cron.go): `GET /api/crons` → `[{id, expression}]`, `POST
 * /api/crons/{id}` → 204, the job started in the background.
 *
 * Hearth's: `GET /api/hearth/jobs` (every field, handlers this server has), `POST /api/hearth/jobs`
 * `{id, schedule, handler, enabled?}`, `PATCH /api/hearth/jobs/{id}` `{schedule?, handler?,
 * enabled?}`, `DELETE /api/hearth/jobs/{id}` (not built-in jobs: disable those), `GET
 * /api/hearth/jobs/{id}/runs?page=&perPage=` → the run history, newest first.
 */
export function register(app: ApiApp, deps: Deps): void {
  const { db, cron } = deps;

  app.get('/api/crons', (c) => {
    requireSuperuser(c);
    return c.json(listJobs(db).map((j) => ({ id: j.id, expression: j.schedule })));
  });

  app.post('/api/crons/:id', (c) => {
    requireSuperuser(c);
    const started = cron.runNow(c.req.param('id'));
    if (started === 'missing') throw ApiError.notFound('Missing or invalid cron job.');
    if (started === 'busy') throw ApiError.badRequest('The job is running already.');
    // The run goes on after the answer; its outcome is in the job's history.
    started.catch(() => {});
    return c.body(null, 204);
  });

  app.get('/api/hearth/jobs', (c) => {
    requireSuperuser(c);
    return c.json({ items: listJobs(db).map((j) => view(j, deps)), handlers: cron.handlerNames() });
  });

  app.post('/api/hearth/jobs', async (c) => {
    requireSuperuser(c);
    const body = await readJsonBody(c);
    const errors: ErrorData = {};
    const id = body['id'];
    if (typeof id !== 'string' || !JOB_ID.test(id)) {
      Object.assign(
        errors,
        fieldError('id', 'validation_invalid_id', 'Use 1 to 100 letters, digits, "_", "." or "-".'),
      );
    } else if (findJob(db, id)) {
      Object.assign(errors, fieldError('id', 'validation_not_unique', 'A job with this id exists already.'));
    }
    const input = readFields(body, deps, errors, { schedule: true, handler: true });
    if (Object.keys(errors).length > 0) throw ApiError.badRequest('Failed to create the job.', errors);
    const now = new Date();
    insertJob(
      db,
      {
        id: id as string,
        schedule: input.schedule!,
        handler: input.handler!,
        enabled: input.enabled ?? true,
        system: false,
        nextRun: cron.nextRunText(input.schedule!, ''),
      },
      now,
    );
    return c.json(view(findJob(db, id as string)!, deps));
  });

  app.patch('/api/hearth/jobs/:id', async (c) => {
    requireSuperuser(c);
    const job = findJob(db, c.req.param('id'));
    if (!job) throw ApiError.notFound();
    const errors: ErrorData = {};
    const input = readFields(await readJsonBody(c), deps, errors, {});
    if (job.system && input.handler !== undefined && input.handler !== job.handler) {
      Object.assign(
        errors,
        fieldError('handler', 'validation_system_job', 'A built-in job keeps its handler.'),
      );
    }
    if (Object.keys(errors).length > 0) throw ApiError.badRequest('Failed to update the job.', errors);
    const schedule = input.schedule ?? job.schedule;
    let nextRun = job.nextRun;
    try {
      nextRun = cron.nextRunText(schedule, job.lastRun);
    } catch (err) {
      // Only a stored schedule can fail here (one sent was checked): the job stays parked until
      // it gets a readable one, and can still be disabled meanwhile.
      if (!(err instanceof ScheduleError)) throw err;
    }
    updateJob(
      db,
      job.id,
      {
        schedule,
        handler: input.handler ?? job.handler,
        enabled: input.enabled ?? job.enabled,
        nextRun,
      },
      new Date(),
    );
    const saved = findJob(db, job.id)!;
    if (saved.system) cron.edited(saved.id, { schedule: saved.schedule, enabled: saved.enabled });
    return c.json(view(saved, deps));
  });

  app.delete('/api/hearth/jobs/:id', (c) => {
    requireSuperuser(c);
    const job = findJob(db, c.req.param('id'));
    if (!job) throw ApiError.notFound();
    if (job.system) throw ApiError.badRequest('A built-in job cannot be deleted; disable it instead.');
    deleteJob(db, job.id);
    return c.body(null, 204);
  });

  app.get('/api/hearth/jobs/:id/runs', (c) => {
    requireSuperuser(c);
    const job = findJob(db, c.req.param('id'));
    if (!job) throw ApiError.notFound();
    const paging = parsePaging(c.req.query());
    const { items, total } = listRuns(db, job.id, paging.page, paging.perPage);
    return c.json(result(items, paging.skipTotal ? -1 : total, paging));
  });
}

/** A job as the API shows it (the lease's owner is internal). */
function view(job: JobRow, deps: Deps) {
  const { leaseUntil, ...rest } = job;
  return {
    ...rest,
    running: leaseUntil !== '' && leaseUntil > formatDateTime(new Date()),
    handlerKnown: deps.cron.hasHandler(job.handler),
  };
}

function readFields(
  body: Record<string, unknown>,
  deps: Deps,
  errors: ErrorData,
  required: { schedule?: boolean; handler?: boolean },
): { schedule?: string; handler?: string; enabled?: boolean } {
  const out: { schedule?: string; handler?: string; enabled?: boolean } = {};
  const schedule = body['schedule'];
  if (schedule !== undefined || required.schedule) {
    if (typeof schedule !== 'string') {
      Object.assign(errors, fieldError('schedule', 'validation_required', 'Cannot be blank.'));
    } else {
      try {
        out.schedule = parseSchedule(schedule).expression;
      } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        Object.assign(errors, fieldError('schedule', 'validation_invalid_schedule', err.message));
      }
    }
  }
  const handler = body['handler'];
  if (handler !== undefined || required.handler) {
    if (typeof handler !== 'string' || handler === '') {
      Object.assign(errors, fieldError('handler', 'validation_required', 'Cannot be blank.'));
    } else if (!deps.cron.hasHandler(handler)) {
      Object.assign(
        errors,
        fieldError(
          'handler',
          'validation_unknown_handler',
          `No handler "${handler}" here; known: ${deps.cron.handlerNames().join(', ')}.`,
        ),
      );
    } else {
      out.handler = handler;
    }
  }
  const enabled = body['enabled'];
  if (enabled !== undefined) {
    if (typeof enabled !== 'boolean')
      Object.assign(errors, fieldError('enabled', 'validation_invalid_bool', 'Must be true or false.'));
    else out.enabled = enabled;
  }
  return out;
}
