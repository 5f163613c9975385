import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { strToU8, unzipSync, zipSync } from 'fflate';
import PocketBase from 'pocketbase';
import { expect, SUPERUSER, superuserToken, test } from './fixtures';
import { accessibilityProblems } from './helpers';

/**
 * The console's Backups page (issue 9) against a real Hearth: create, download, upload (a hostile
 * archive is refused with the server's reason), delete, and a restore that restarts the server and
 * takes back what was written since. Elements are found by role and accessible name.
 */

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

const keys = async (pb: PocketBase) => (await pb.backups.getFullList()).map((b) => b.key).sort();

test('a superuser creates, downloads, uploads and deletes backups; a hostile zip is refused', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(60_000);
  await superuserToken(hearth, request);
  await signIn(page, '/_/backups');
  await expect(page.getByRole('link', { name: 'Backups' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByText('No backups yet.')).toBeVisible();

  // Create: the button does nothing while the backup is made, and the list shows it after.
  await page.getByLabel('Name (optional)').fill('before-change');
  await page.getByRole('button', { name: 'Create backup' }).click();
  const row = page.getByRole('row', { name: /before-change\.zip/ });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell').nth(1)).toContainText(/\d/);
  await expect(page.getByRole('button', { name: 'Create backup' })).toBeEnabled();
  const pb = await admin(hearth.url);
  expect(await keys(pb)).toEqual(['before-change.zip']);

  // Download: a zip with the manifest and the database arrives.
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download before-change.zip' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('before-change.zip');
  const zip = readFileSync((await download.path())!);
  const entries = Object.keys(unzipSync(new Uint8Array(zip)));
  expect(entries).toContain('manifest.json');
  expect(entries).toContain('data.db');

  // Upload: a hostile archive (an entry that climbs out of the folder) is refused with the reason.
  const upload = page.getByLabel('Backup file (.zip)');
  const hostile = zipSync({ 'manifest.json': strToU8('{}'), '../escape.txt': strToU8('pwned') });
  await upload.setInputFiles({
    name: 'hostile.zip',
    mimeType: 'application/zip',
    buffer: Buffer.from(hostile),
  });
  await page.getByRole('button', { name: 'Upload backup' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The backup was refused' })).toContainText(
    'unsafe name',
  );
  await expect(upload).toHaveAttribute('aria-invalid', 'true');
  expect(await keys(pb)).toEqual(['before-change.zip']);

  // The downloaded backup goes back up under another name and is listed.
  await upload.setInputFiles({ name: 'copy.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByRole('button', { name: 'Upload backup' }).click();
  await expect(page.getByRole('row', { name: /copy\.zip/ })).toBeVisible();
  expect(await keys(pb)).toEqual(['before-change.zip', 'copy.zip']);

  expect(await accessibilityProblems(page)).toEqual([]);

  // Delete, behind a confirmation that names the backup.
  await page.getByRole('button', { name: 'Delete before-change.zip' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete before-change.zip?' });
  await expect(dialog).toContainText('The backup before-change.zip (made ');
  expect(await accessibilityProblems(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Delete backup' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('row', { name: /before-change\.zip/ })).toHaveCount(0);
  expect(await keys(pb)).toEqual(['copy.zip']);
});

test('the automatic backup settings are saved, and the server’s reason shows beside a bad schedule', async ({
  page,
  hearth,
  request,
}) => {
  await superuserToken(hearth, request);
  await signIn(page, '/_/backups');
  const schedule = page.getByRole('textbox', { name: 'Schedule' });
  await schedule.fill('every 5 parsecs');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(schedule).toHaveAttribute('aria-invalid', 'true');
  await expect(schedule).toHaveAccessibleDescription(/Must be a cron expression/);
  await expect(schedule).toBeFocused();

  await schedule.fill('0 2 * * *');
  await page.getByRole('spinbutton', { name: 'Automatic backups to keep' }).fill('5');
  await page.getByRole('button', { name: 'Save schedule' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Automatic backups saved.' })).toBeVisible();
  const pb = await admin(hearth.url);
  expect((await pb.settings.getAll())['backups']).toEqual({ cron: '0 2 * * *', cronMaxKeep: 5 });
  // The built-in job follows the setting.
  const { items } = await pb.send<{ items: { id: string; schedule: string; enabled: boolean }[] }>(
    '/api/hearth/jobs',
    {},
  );
  expect(items.find((j) => j.id === '__pbBackups__')).toMatchObject({ schedule: '0 2 * * *', enabled: true });
});

test('a restore asks first, says what is replaced, waits for the server and takes back later writes', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  await superuserToken(hearth, request);
  const pb = await admin(hearth.url);
  const users = pb.collection('users');
  const password = 'kept password 1';
  const kept = await users.create({ email: 'kept@example.com', password, passwordConfirm: password });
  await pb.backups.create('snapshot.zip');
  const later = await users.create({ email: 'later@example.com', password, passwordConfirm: password });

  await signIn(page, '/_/backups');
  await page.getByRole('button', { name: 'Restore snapshot.zip' }).click();
  const dialog = page.getByRole('dialog', { name: 'Restore snapshot.zip?' });
  await expect(dialog).toContainText(
    /The database and all uploaded files of this Hearth are replaced by those in snapshot\.zip \(made .+\)\. Everything written since is lost\. Logs and the other backups stay\. The server restarts; you will be signed out if your account did not exist then\./,
  );
  expect(await accessibilityProblems(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Replace everything and restart' }).click();

  await expect(
    page.getByRole('status').filter({ hasText: 'The server is back: snapshot.zip is restored.' }),
  ).toBeVisible({ timeout: 60_000 });
  // The superuser existed in the backup: still signed in, and the list is there again.
  await expect(page.getByRole('row', { name: /snapshot\.zip/ })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Console' })).toBeVisible();

  const after = await admin(hearth.url);
  const emails = (await after.collection('users').getFullList()).map((u) => u['email']);
  expect(emails).toContain(kept['email']);
  expect(emails).not.toContain(later['email']);
  expect(await keys(after)).toEqual(['snapshot.zip']);
});

test('a superuser who did not exist when the backup was made is signed out by its restore', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  await superuserToken(hearth, request);
  const pb = await admin(hearth.url);
  await pb.backups.create('older.zip');
  const newcomer = { email: 'newcomer@example.com', password: 'newcomer password 1' };
  await pb.collection('_superusers').create({ ...newcomer, passwordConfirm: newcomer.password });

  await page.goto('/_/backups');
  await page.getByLabel('Email').fill(newcomer.email);
  await page.getByLabel('Password').fill(newcomer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Restore older.zip' }).click();
  await page
    .getByRole('dialog', { name: 'Restore older.zip?' })
    .getByRole('button', { name: 'Replace everything and restart' })
    .click();
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByRole('navigation', { name: 'Console' })).toHaveCount(0);
});
