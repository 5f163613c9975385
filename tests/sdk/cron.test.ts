import type PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { listJobs } from '../../api/cron/cron.store';
import { failure, fieldCode, send, startSdkServer, type SdkServer } from './server';

// Scheduled jobs (issue 9) against a real server: PocketBase's cron API through the official SDK's
// `pb.crons`, and Hearth's job API (/api/hearth/jobs) through `pb.send`. The server's scheduler ticks
// on its own timer here, as in production.

let s: SdkServer;
let guest: PocketBase;
let user: PocketBase;

/** A job no test runs (disabled), for the refusals to aim at. */
const FIXTURE = 'fixture-job';

beforeAll(async () => {
  s = await startSdkServer();
  guest = s.newClient();
  user = (await s.signUp()).client;
  await send(s.admin, '/api/hearth/jobs', {
    method: 'POST',
    body: { id: FIXTURE, schedule: '0 3 * * *', handler: 'otps.cleanup', enabled: false },
  });
});
afterAll(async () => {
  await s?.close();
});

interface Run {
  id: string;
  job: string;
  trigger: string;
  started: string;
  finished: string;
  status: string;
  result: string;
}

async function runsOf(job: string): Promise<{ items: Run[]; totalItems: number }> {
  return (await send(s.admin, `/api/hearth/jobs/${encodeURIComponent(job)}/runs`, {
    query: { perPage: 500 },
  })) as never;
}

async function jobs(): Promise<Record<string, unknown>[]> {
  return ((await send(s.admin, '/api/hearth/jobs')) as { items: Record<string, unknown>[] }).items;
}

/** Every job row and how many runs each has, straight from data.db. */
function snapshot() {
  const counts = s.hearth.db.sql
    .prepare('SELECT job, count(*) AS n FROM _jobRuns GROUP BY job ORDER BY job')
    .all();
  return { jobs: listJobs(s.hearth.db), counts };
}

describe("PocketBase's cron API", () => {
  test('pb.crons.getFullList() lists the built-in jobs with their expressions', async () => {
    const list = await s.admin.crons.getFullList();
    expect(list).toEqual(
      expect.arrayContaining([
        { id: '__pbLogsCleanup__', expression: 'every 6h' },
        { id: '__pbOTPCleanup__', expression: 'every 1h' },
        { id: FIXTURE, expression: '0 3 * * *' },
      ]),
    );
    for (const job of list) expect(Object.keys(job).sort()).toEqual(['expression', 'id']);
  });

  test("pb.crons.run() starts the job; the run is in the job's history", async () => {
    const manual = async () =>
      (await runsOf('__pbLogsCleanup__')).items.filter((r) => r.trigger === 'manual');
    const before = (await manual()).length;
    await expect(s.admin.crons.run('__pbLogsCleanup__')).resolves.toBe(true);
    await vi.waitFor(async () => {
      const runs = await manual();
      expect(runs).toHaveLength(before + 1);
      expect(runs[0]).toMatchObject({
        job: '__pbLogsCleanup__',
        status: 'ok',
        result: expect.stringMatching(/^\d+ old log entries deleted$/),
      });
    });
    const job = (await jobs()).find((j) => j['id'] === '__pbLogsCleanup__');
    expect(job).toMatchObject({ lastStatus: 'ok', system: true, handlerKnown: true });
  });

  test('the answer is 204 with no body', async () => {
    const res = await fetch(`${s.url}/api/crons/__pbOTPCleanup__`, {
      method: 'POST',
      headers: { Authorization: s.admin.authStore.token },
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });
});

describe("Hearth's job API", () => {
  test('create, list, change and delete a job', async () => {
    const created = await send(s.admin, '/api/hearth/jobs', {
      method: 'POST',
      body: { id: 'tidy-logs', handler: 'logs.cleanup', schedule: ' every  15m ' },
    });
    expect(created).toMatchObject({
      id: 'tidy-logs',
      schedule: 'every 15m',
      handler: 'logs.cleanup',
      enabled: true,
      system: false,
      handlerKnown: true,
    });
    expect(created['nextRun']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created).not.toHaveProperty('leaseUntil');
    expect(created).not.toHaveProperty('leaseBy');

    const listed = await send(s.admin, '/api/hearth/jobs');
    expect(listed['handlers']).toEqual(expect.arrayContaining(['logs.cleanup', 'otps.cleanup']));
    expect((listed['items'] as Record<string, unknown>[]).find((j) => j['id'] === 'tidy-logs')).toMatchObject(
      {
        schedule: 'every 15m',
        nextRun: created['nextRun'],
      },
    );
    expect(await s.admin.crons.getFullList()).toContainEqual({ id: 'tidy-logs', expression: 'every 15m' });

    // A new interval job is due at once: the running server's scheduler picks it up by itself.
    await vi.waitFor(async () => {
      expect((await runsOf('tidy-logs')).items).toMatchObject([{ trigger: 'schedule', status: 'ok' }]);
    });

    const patched = await send(s.admin, '/api/hearth/jobs/tidy-logs', {
      method: 'PATCH',
      body: { schedule: '0 3 * * *', enabled: false },
    });
    expect(patched).toMatchObject({
      id: 'tidy-logs',
      schedule: '0 3 * * *',
      enabled: false,
      handler: 'logs.cleanup',
    });
    const next = new Date(String(patched['nextRun']).replace(' ', 'T'));
    expect(patched['nextRun']).toMatch(/ 03:00:00\.000Z$/);
    expect(next.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);
    expect((await jobs()).find((j) => j['id'] === 'tidy-logs')).toMatchObject({
      enabled: false,
      nextRun: patched['nextRun'],
    });

    // Only what is sent changes.
    const reenabled = await send(s.admin, '/api/hearth/jobs/tidy-logs', {
      method: 'PATCH',
      body: { enabled: true },
    });
    expect(reenabled).toMatchObject({ schedule: '0 3 * * *', enabled: true });

    await expect(
      s.admin.send('/api/hearth/jobs/tidy-logs', { method: 'DELETE' }).then(() => 'deleted'),
    ).resolves.toBe('deleted');
    expect((await jobs()).map((j) => j['id'])).not.toContain('tidy-logs');
    expect((await failure(runsOf('tidy-logs'))).status).toBe(404);
    expect(
      s.hearth.db.sql.prepare(`SELECT count(*) FROM _jobRuns WHERE job = 'tidy-logs'`).pluck().get(),
    ).toBe(0);
  });

  test('a built-in job may be changed and disabled', async () => {
    const patched = await send(s.admin, '/api/hearth/jobs/__pbOTPCleanup__', {
      method: 'PATCH',
      body: { schedule: 'every 2h', enabled: false, handler: 'otps.cleanup' },
    });
    expect(patched).toMatchObject({ schedule: 'every 2h', enabled: false, system: true });
    await send(s.admin, '/api/hearth/jobs/__pbOTPCleanup__', {
      method: 'PATCH',
      body: { schedule: 'every 1h', enabled: true },
    });
    expect(await s.admin.crons.getFullList()).toContainEqual({
      id: '__pbOTPCleanup__',
      expression: 'every 1h',
    });
  });

  test('runs are listed newest first, with paging', async () => {
    await send(s.admin, '/api/hearth/jobs', {
      method: 'POST',
      body: { id: 'paging-job', schedule: '@yearly', handler: 'otps.cleanup' },
    });
    for (let i = 1; i <= 2; i += 1) {
      await s.admin.crons.run('paging-job');
      await vi.waitFor(async () => {
        const { items } = await runsOf('paging-job');
        expect(items).toHaveLength(i);
        expect(items[0]!.status).toBe('ok');
      });
    }
    const all = (await runsOf('paging-job')).items;
    expect(all.map((r) => [r.job, r.trigger])).toEqual([
      ['paging-job', 'manual'],
      ['paging-job', 'manual'],
    ]);
    expect(all[0]!.started >= all[1]!.started).toBe(true);
    const page = await send(s.admin, '/api/hearth/jobs/paging-job/runs', { query: { page: 2, perPage: 1 } });
    expect(page).toMatchObject({ page: 2, perPage: 1, totalItems: 2, totalPages: 2 });
    expect((page['items'] as Run[]).map((r) => r.id)).toEqual([all[1]!.id]);
    await s.admin.send('/api/hearth/jobs/paging-job', { method: 'DELETE' });
  });
});

describe('a job that is running', () => {
  test('shows running, and a second run is refused until it ends', async () => {
    // A handler of this test's own, registered as a capability would (the job API names handlers).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    s.hearth.cron.handle('test.gated', async () => {
      await gate;
      return 'released';
    });
    await send(s.admin, '/api/hearth/jobs', {
      method: 'POST',
      body: { id: 'gated', schedule: '@yearly', handler: 'test.gated' },
    });
    try {
      await expect(s.admin.crons.run('gated')).resolves.toBe(true);
      expect((await runsOf('gated')).items).toMatchObject([{ status: 'running', trigger: 'manual' }]);
      expect((await jobs()).find((j) => j['id'] === 'gated')).toMatchObject({ running: true });

      const err = await failure(s.admin.crons.run('gated'));
      expect(err.status).toBe(400);
      expect(err.message).toBe('The job is running already.');
      expect((await runsOf('gated')).totalItems).toBe(1);
    } finally {
      release();
    }
    await vi.waitFor(async () => {
      expect((await runsOf('gated')).items).toMatchObject([{ status: 'ok', result: 'released' }]);
    });
    expect((await jobs()).find((j) => j['id'] === 'gated')).toMatchObject({
      running: false,
      lastStatus: 'ok',
    });
    await s.admin.send('/api/hearth/jobs/gated', { method: 'DELETE' });
  });
});

describe('a job whose stored schedule cannot be read (edited by hand in data.db)', () => {
  test('PATCH {enabled: false} answers without a 500, and a new schedule repairs it', async () => {
    await send(s.admin, '/api/hearth/jobs', {
      method: 'POST',
      body: { id: 'hand-edited', schedule: '@yearly', handler: 'otps.cleanup' },
    });
    s.hearth.db.sql.prepare(`UPDATE _jobs SET schedule = 'whenever' WHERE id = 'hand-edited'`).run();
    try {
      const res = await fetch(`${s.url}/api/hearth/jobs/hand-edited`, {
        method: 'PATCH',
        headers: { Authorization: s.admin.authStore.token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ enabled: false }),
      });
      const body = (await res.json()) as Record<string, unknown>;
      // Disabling the broken job works, or the answer asks for a schedule: never a 500.
      expect(res.status, JSON.stringify(body)).not.toBe(500);
      if (res.status === 400) {
        expect(body['data']).toMatchObject({ schedule: { code: expect.any(String) } });
      } else {
        expect(res.status).toBe(200);
        expect(body).toMatchObject({ enabled: false, schedule: 'whenever' });
      }

      const repaired = await send(s.admin, '/api/hearth/jobs/hand-edited', {
        method: 'PATCH',
        body: { schedule: '0 3 * * *' },
      });
      expect(repaired).toMatchObject({ schedule: '0 3 * * *' });
      expect(repaired['nextRun']).toMatch(/ 03:00:00\.000Z$/);
    } finally {
      await s.admin.send('/api/hearth/jobs/hand-edited', { method: 'DELETE' });
    }
  });
});

describe('refusals change nothing', () => {
  type Who = 'admin' | 'guest' | 'user';
  interface Row {
    name: string;
    who: Who;
    path: string;
    method: string;
    body?: unknown;
    status: number;
    field?: string;
    code?: string;
    message?: RegExp;
  }

  const create = (body: unknown): Pick<Row, 'path' | 'method' | 'body'> => ({
    path: '/api/hearth/jobs',
    method: 'POST',
    body,
  });
  const patch = (id: string, body: unknown): Pick<Row, 'path' | 'method' | 'body'> => ({
    path: `/api/hearth/jobs/${id}`,
    method: 'PATCH',
    body,
  });
  const good = { id: 'brand-new', schedule: 'every 15m', handler: 'logs.cleanup' };

  const rows: Row[] = [
    // Who may.
    ...(['guest', 'user'] as const).flatMap((who): Row[] => {
      const status = who === 'guest' ? 401 : 403;
      return [
        { name: 'list crons', who, path: '/api/crons', method: 'GET', status },
        { name: 'run a cron', who, path: '/api/crons/__pbLogsCleanup__', method: 'POST', status },
        { name: 'run an unknown cron', who, path: '/api/crons/nope', method: 'POST', status },
        { name: 'list jobs', who, path: '/api/hearth/jobs', method: 'GET', status },
        { name: 'create a job', who, ...create(good), status },
        { name: 'change a job', who, ...patch(FIXTURE, { enabled: true }), status },
        { name: 'delete a job', who, path: `/api/hearth/jobs/${FIXTURE}`, method: 'DELETE', status },
        { name: 'list runs', who, path: `/api/hearth/jobs/${FIXTURE}/runs`, method: 'GET', status },
      ];
    }),
    // No such job.
    { name: 'run', who: 'admin', path: '/api/crons/nope', method: 'POST', status: 404 },
    { name: 'change', who: 'admin', ...patch('nope', { enabled: true }), status: 404 },
    { name: 'delete', who: 'admin', path: '/api/hearth/jobs/nope', method: 'DELETE', status: 404 },
    { name: 'runs', who: 'admin', path: '/api/hearth/jobs/nope/runs', method: 'GET', status: 404 },
    // Schedules.
    ...[
      'every 30s',
      'every 0m',
      'every 400d',
      'every 15 minutes',
      '* * * *',
      '0 0 3 * * *',
      '61 * * * *',
      '',
      'x'.repeat(200),
    ].map((schedule): Row => ({
      name: `schedule ${JSON.stringify(schedule.slice(0, 20))}`,
      who: 'admin',
      ...create({ ...good, schedule }),
      status: 400,
      field: 'schedule',
      code: 'validation_invalid_schedule',
    })),
    {
      name: 'schedule not a string',
      who: 'admin',
      ...create({ ...good, schedule: 15 }),
      status: 400,
      field: 'schedule',
      code: 'validation_required',
    },
    {
      name: 'no schedule',
      who: 'admin',
      ...create({ id: 'x', handler: 'logs.cleanup' }),
      status: 400,
      field: 'schedule',
      code: 'validation_required',
    },
    {
      name: 'changed to a bad schedule',
      who: 'admin',
      ...patch(FIXTURE, { schedule: 'every 30s' }),
      status: 400,
      field: 'schedule',
      code: 'validation_invalid_schedule',
      message: /at least 1 minute/,
    },
    // Handlers.
    {
      name: 'unknown handler',
      who: 'admin',
      ...create({ ...good, handler: 'rm -rf /' }),
      status: 400,
      field: 'handler',
      code: 'validation_unknown_handler',
      message: /logs\.cleanup/,
    },
    {
      name: 'no handler',
      who: 'admin',
      ...create({ id: 'x', schedule: 'every 1h' }),
      status: 400,
      field: 'handler',
      code: 'validation_required',
    },
    {
      name: 'changed to an unknown handler',
      who: 'admin',
      ...patch(FIXTURE, { handler: 'nope' }),
      status: 400,
      field: 'handler',
      code: 'validation_unknown_handler',
    },
    {
      name: "a built-in job's handler",
      who: 'admin',
      ...patch('__pbLogsCleanup__', { handler: 'otps.cleanup' }),
      status: 400,
      field: 'handler',
      code: 'validation_system_job',
    },
    // Ids.
    ...['', 'has space', 'a/b', '../x', 'é', 'x'.repeat(101), 42, null].map((id): Row => ({
      name: `id ${JSON.stringify(id)?.slice(0, 20)}`,
      who: 'admin',
      ...create({ ...good, id }),
      status: 400,
      field: 'id',
      code: 'validation_invalid_id',
    })),
    {
      name: 'duplicate id',
      who: 'admin',
      ...create({ ...good, id: FIXTURE }),
      status: 400,
      field: 'id',
      code: 'validation_not_unique',
    },
    {
      name: "a built-in's id",
      who: 'admin',
      ...create({ ...good, id: '__pbLogsCleanup__' }),
      status: 400,
      field: 'id',
      code: 'validation_not_unique',
    },
    // Deleting a built-in.
    {
      name: 'delete a built-in',
      who: 'admin',
      path: '/api/hearth/jobs/__pbLogsCleanup__',
      method: 'DELETE',
      status: 400,
      message: /disable it/,
    },
    // Bodies.
    { name: 'create: not JSON', who: 'admin', ...create('{"id": "brand-new", '), status: 400 },
    { name: 'create: an array', who: 'admin', ...create([good]), status: 400 },
    { name: 'change: not JSON', who: 'admin', ...patch(FIXTURE, 'enabled=true'), status: 400 },
    {
      name: 'create: enabled not boolean',
      who: 'admin',
      ...create({ ...good, enabled: 'yes' }),
      status: 400,
      field: 'enabled',
      code: 'validation_invalid_bool',
    },
    {
      name: 'change: enabled not boolean',
      who: 'admin',
      ...patch(FIXTURE, { enabled: 1 }),
      status: 400,
      field: 'enabled',
      code: 'validation_invalid_bool',
    },
    {
      name: 'change: enabled null',
      who: 'admin',
      ...patch(FIXTURE, { enabled: null }),
      status: 400,
      field: 'enabled',
      code: 'validation_invalid_bool',
    },
    {
      name: 'runs: bad skipTotal',
      who: 'admin',
      path: `/api/hearth/jobs/${FIXTURE}/runs?skipTotal=maybe`,
      method: 'GET',
      status: 400,
    },
  ];

  test.each(rows)('$who $method $path ($name) → $status', async (row) => {
    const client = row.who === 'admin' ? s.admin : row.who === 'guest' ? guest : user;
    const before = snapshot();
    const err = await failure(client.send(row.path, { method: row.method, body: row.body }));
    expect(err.status).toBe(row.status);
    expect(err.response).toMatchObject({ status: row.status, message: expect.any(String) });
    if (row.field) {
      expect(fieldCode(err, row.field)).toBe(row.code);
      const entry = (err.response['data'] as Record<string, { message: string }>)[row.field]!;
      expect(entry.message).not.toBe('');
      if (row.message) expect(entry.message).toMatch(row.message);
    } else if (row.message) {
      expect(err.message).toMatch(row.message);
    }
    expect(snapshot()).toEqual(before);
  });

  test('a failed create leaves no partial job behind', () => {
    expect(listJobs(s.hearth.db).map((j) => j.id)).not.toContain('brand-new');
  });
});
