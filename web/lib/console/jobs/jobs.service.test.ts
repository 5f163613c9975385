import PocketBase from 'pocketbase';
import { describe, expect, test } from 'vitest';
import { createJob, deleteJob, listRuns, runJob, sortJobs, updateJob, type Job } from './jobs.service';

/** An SDK client whose fetch records the requests and answers `{}` (or 204 for deletes and runs). */
function recorder() {
  const sent: { method: string; url: string; body: unknown }[] = [];
  const pb = new PocketBase('http://hearth.test');
  // The SDK's own fetch hook: it sees the final URL (query included) and the body as sent.
  pb.beforeSend = (url, options) => {
    options.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const target = String(input);
      sent.push({
        method: String(init?.method ?? 'GET'),
        url: target,
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      });
      const empty = init?.method === 'DELETE' || target.includes('/api/crons/');
      return new Response(empty ? null : '{}', { status: empty ? 204 : 200 });
    };
    return { url, options };
  };
  return { pb, sent };
}

describe('jobs service', () => {
  test('sends each call to its route, ids escaped', async () => {
    const { pb, sent } = recorder();
    await createJob(pb, { id: 'nightly', schedule: '0 3 * * *', handler: 'logs.cleanup', enabled: true });
    await updateJob(pb, 'a/b', { enabled: false });
    await deleteJob(pb, 'nightly');
    await runJob(pb, '__pbLogsCleanup__');
    await listRuns(pb, 'nightly', 2, 20);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'http://hearth.test/api/hearth/jobs',
        body: { id: 'nightly', schedule: '0 3 * * *', handler: 'logs.cleanup', enabled: true },
      },
      { method: 'PATCH', url: 'http://hearth.test/api/hearth/jobs/a%2Fb', body: { enabled: false } },
      { method: 'DELETE', url: 'http://hearth.test/api/hearth/jobs/nightly', body: undefined },
      { method: 'POST', url: 'http://hearth.test/api/crons/__pbLogsCleanup__', body: undefined },
      {
        method: 'GET',
        url: 'http://hearth.test/api/hearth/jobs/nightly/runs?page=2&perPage=20',
        body: undefined,
      },
    ]);
  });

  test('sortJobs puts the built-in jobs first, each group by id', () => {
    const job = (id: string, system: boolean) => ({ id, system }) as Job;
    expect(
      sortJobs([
        job('zeta', false),
        job('__pbOTPCleanup__', true),
        job('alpha', false),
        job('__pbBackups__', true),
      ]).map((j) => j.id),
    ).toEqual(['__pbBackups__', '__pbOTPCleanup__', 'alpha', 'zeta']);
  });
});
