import type { Page } from '@playwright/test';
import PocketBase, { ClientResponseError } from 'pocketbase';
import { expect, SUPERUSER, superuserToken, test } from './fixtures';
import { accessibilityProblems } from './helpers';

/**
 * The console's Jobs page (issue 9) against a real Hearth: the built-in jobs, running one now and
 * reading its history, switching one off, a schedule the server refuses, and a job of one's own
 * created and deleted. Every change is checked through the API as well.
 */

interface Job {
  id: string;
  schedule: string;
  handler: string;
  enabled: boolean;
}
interface Runs {
  totalItems: number;
  items: { trigger: string; status: string }[];
}

async function signIn(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Email').fill(SUPERUSER.email);
  await page.getByLabel('Password').fill(SUPERUSER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Console' })).toBeVisible();
}

async function admin(url: string): Promise<PocketBase> {
  const pb = new PocketBase(url);
  await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
  return pb;
}

const jobs = (pb: PocketBase) => pb.send<{ items: Job[]; handlers: string[] }>('/api/hearth/jobs', {});
const job = async (pb: PocketBase, id: string) => (await jobs(pb)).items.find((j) => j.id === id);
const runs = (pb: PocketBase, id: string) =>
  pb.send<Runs>(`/api/hearth/jobs/${id}/runs`, { query: { page: 1, perPage: 20 } });

test('the built-in jobs are listed; run now, history, switching off and a refused schedule', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(60_000);
  await superuserToken(hearth, request);
  const pb = await admin(hearth.url);
  await signIn(page, '/_/jobs');
  await expect(page.getByRole('link', { name: 'Jobs' })).toHaveAttribute('aria-current', 'page');
  const table = page.getByRole('table', { name: 'Jobs' });
  for (const id of ['__pbLogsCleanup__', '__pbOTPCleanup__', '__pbBackups__']) {
    await expect(table.getByRole('rowheader', { name: new RegExp(id) })).toBeVisible();
  }
  // Built-in jobs can be switched off, not deleted.
  await expect(page.getByRole('button', { name: 'Delete __pbLogsCleanup__' })).toHaveCount(0);
  expect(await accessibilityProblems(page)).toEqual([]);

  // Run now: a manual run lands in the history, on the page and through the API.
  const before = (await runs(pb, '__pbLogsCleanup__')).totalItems;
  await page.getByRole('button', { name: 'Run __pbLogsCleanup__ now' }).click();
  await expect(page.getByRole('status').filter({ hasText: '__pbLogsCleanup__ started.' })).toBeVisible();
  const row = page.getByRole('row', { name: /__pbLogsCleanup__/ });
  await expect(row.getByText('OK', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'History of __pbLogsCleanup__' }).click();
  const history = page.getByRole('dialog', { name: 'History of __pbLogsCleanup__' });
  await expect(history.getByRole('row', { name: /Manual.*OK/ })).toHaveCount(1);
  expect(await accessibilityProblems(page)).toEqual([]);
  await history.getByRole('button', { name: 'Close' }).click();
  const after = await runs(pb, '__pbLogsCleanup__');
  expect(after.totalItems).toBe(before + 1);
  expect(after.items[0]).toMatchObject({ trigger: 'manual', status: 'ok' });

  // Switching off, with the keyboard: the row says so, the API agrees, and a reload keeps it.
  const toggle = page.getByRole('switch', { name: 'Enable __pbOTPCleanup__' });
  await expect(toggle).toBeChecked();
  await toggle.focus();
  await page.keyboard.press('Space');
  await expect(toggle).not.toBeChecked();
  await expect(page.getByRole('row', { name: /__pbOTPCleanup__/ })).toContainText('Disabled');
  await expect.poll(async () => (await job(pb, '__pbOTPCleanup__'))?.enabled).toBe(false);
  await page.reload();
  await expect(page.getByRole('switch', { name: 'Enable __pbOTPCleanup__' })).not.toBeChecked();

  // A schedule the server cannot read: its own message shows beside the field.
  let refusal = '';
  try {
    await pb.send('/api/hearth/jobs/__pbLogsCleanup__', {
      method: 'PATCH',
      body: { schedule: 'every 5 parsecs' },
    });
  } catch (err) {
    refusal = (err as ClientResponseError).response['data']['schedule']['message'] as string;
  }
  expect(refusal).not.toBe('');
  await page.getByRole('button', { name: 'Edit the schedule of __pbLogsCleanup__' }).click();
  const editor = page.getByRole('dialog', { name: 'Schedule of __pbLogsCleanup__' });
  const schedule = editor.getByRole('textbox', { name: 'Schedule' });
  await schedule.fill('every 5 parsecs');
  await schedule.press('Enter');
  await expect(schedule).toHaveAttribute('aria-invalid', 'true');
  await expect(editor.getByRole('alert')).toHaveText(refusal);
  expect(await accessibilityProblems(page)).toEqual([]);

  // A good one is saved and shown.
  await schedule.fill('*/30 * * * *');
  await editor.getByRole('button', { name: 'Save schedule' }).click();
  await expect(editor).toBeHidden();
  await expect(page.getByRole('row', { name: /__pbLogsCleanup__/ })).toContainText('*/30 * * * *');
  expect((await job(pb, '__pbLogsCleanup__'))?.schedule).toBe('*/30 * * * *');
});

test('a superuser creates a job of their own and deletes it', async ({ page, hearth, request }) => {
  await superuserToken(hearth, request);
  const pb = await admin(hearth.url);
  const { handlers } = await jobs(pb);
  expect(handlers.length).toBeGreaterThan(0);
  await signIn(page, '/_/jobs');

  await page.getByRole('button', { name: 'New job' }).click();
  const dialog = page.getByRole('dialog', { name: 'New job' });
  await expect(dialog.getByRole('textbox', { name: 'Id' })).toBeFocused();
  // The server's reasons show per field.
  await dialog.getByRole('textbox', { name: 'Id' }).fill('not ok!');
  await dialog.getByRole('textbox', { name: 'Schedule' }).fill('whenever');
  await dialog.getByRole('combobox', { name: 'Handler' }).selectOption(handlers[0]!);
  await dialog.getByRole('button', { name: 'Create job' }).click();
  await expect(dialog.getByRole('textbox', { name: 'Id' })).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByRole('textbox', { name: 'Schedule' })).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog.getByRole('textbox', { name: 'Id' })).toBeFocused();
  expect(await accessibilityProblems(page)).toEqual([]);

  await dialog.getByRole('textbox', { name: 'Id' }).fill('nightly-report');
  await dialog.getByRole('textbox', { name: 'Schedule' }).fill('0 4 * * *');
  await dialog.getByRole('checkbox', { name: 'Enabled' }).uncheck();
  await dialog.getByRole('button', { name: 'Create job' }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByRole('row', { name: /nightly-report/ });
  await expect(row).toContainText('0 4 * * *');
  await expect(row.getByRole('switch', { name: 'Enable nightly-report' })).not.toBeChecked();
  expect(await job(pb, 'nightly-report')).toMatchObject({
    schedule: '0 4 * * *',
    handler: handlers[0],
    enabled: false,
  });

  await row.getByRole('button', { name: 'Delete nightly-report' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete nightly-report?' });
  await expect(confirm).toContainText('The job nightly-report and its run history will be deleted.');
  await confirm.getByRole('button', { name: 'Delete job' }).click();
  await expect(page.getByRole('row', { name: /nightly-report/ })).toHaveCount(0);
  expect(await job(pb, 'nightly-report')).toBeUndefined();
});
