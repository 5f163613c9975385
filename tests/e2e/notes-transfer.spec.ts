import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync, zipSync, strToU8 } from 'fflate';
import PocketBase from 'pocketbase';
import { expect, superuserToken, test } from './fixtures';
import { setUpNotes } from './notes-helpers';

/**
 * Export and import of encrypted notes in Chromium: the export is a zip of the decrypted notes as
 * Markdown; importing that zip into another account, plus a loose Markdown file, makes the same
 * notes there, sealed again in the browser (the import's requests carry ciphertext only).
 */

const PASSPHRASE = 'a long and private passphrase';

test('notes exported as a zip of Markdown come back through import, in another account', async ({
  browser,
  page,
  hearth,
  request,
}) => {
  test.setTimeout(120_000);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(await superuserToken(hearth, request), null);
  const accounts = [
    ['eve@example.com', 'eve password 12'],
    ['fay@example.com', 'fay password 12'],
  ] as const;
  for (const [email, password] of accounts) {
    await admin.collection('users').create({ email, password, passwordConfirm: password });
  }

  await setUpNotes(page, hearth.url, accounts[0], PASSPHRASE);
  for (const [title, text, tags] of [
    ['Garden: plan "A"', 'Tomatoes 1b9e\n\n- basil\n- mint', 'home, summer'],
    ['Garden: plan "A"', 'A second note with the same title 5f2a', ''],
  ]) {
    await page.getByRole('button', { name: 'New note' }).click();
    await page.getByLabel('Title').fill(title!);
    await page.getByLabel('Tags').fill(tags!);
    await page.getByLabel('Text').fill(text!);
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  }

  await page.getByRole('button', { name: 'Export and import' }).click();
  const panel = page.getByRole('region', { name: 'Export and import' });
  const download = page.waitForEvent('download');
  await panel.getByRole('button', { name: 'Export all notes' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^hearth-notes-\d{4}-\d{2}-\d{2}\.zip$/);
  const zip = readFileSync((await file.path())!);
  const entries = unzipSync(new Uint8Array(zip));
  // Two notes with one title get two file names; the files hold the decrypted text.
  expect(Object.keys(entries).sort()).toEqual(['Garden- plan -A-.md', 'Garden- plan -A- (2).md'].sort());
  const texts = Object.values(entries).map((bytes) => strFromU8(bytes));
  expect(texts.some((t) => t.includes('Tomatoes 1b9e'))).toBe(true);

  // Another account imports the zip and a Markdown file of its own.
  const other = await browser.newContext({ baseURL: hearth.url });
  const fayPage = await other.newPage();
  const sent: string[] = [];
  fayPage.on('request', (req) => {
    const body = req.postData();
    if (body) sent.push(body);
  });
  await setUpNotes(fayPage, hearth.url, accounts[1], PASSPHRASE);
  await fayPage.getByRole('button', { name: 'Export and import' }).click();
  const fayPanel = fayPage.getByRole('region', { name: 'Export and import' });
  await fayPanel.getByLabel('Import Markdown files').setInputFiles([
    { name: 'export.zip', mimeType: 'application/zip', buffer: zip },
    { name: 'ideas.md', mimeType: 'text/markdown', buffer: Buffer.from('# Ideas 7c3d\n\nWrite more.\n') },
    {
      name: 'nested.zip',
      mimeType: 'application/zip',
      buffer: Buffer.from(zipSync({ 'inner.zip': zipSync({ 'x.md': strToU8('x') }) })),
    },
  ]);
  await expect(fayPanel.getByText(/3 notes from 3 files; 1 file skipped/)).toBeVisible();
  await fayPanel.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(fayPanel.getByRole('status')).toHaveText('Imported 3 of 3');
  await fayPage.getByRole('button', { name: 'Close' }).click();
  await fayPage.getByRole('button', { name: /Ideas 7c3d/ }).click();
  await expect(fayPage.getByLabel('Text')).toHaveValue('Write more.\n');
  const garden = fayPage.getByRole('button', { name: /Garden: plan "A"/ });
  await expect(garden).toHaveCount(2);
  await fayPage.getByRole('searchbox', { name: 'Search notes' }).fill('tomatoes');
  await garden.click();
  await expect(fayPage.getByLabel('Tags')).toHaveValue('home, summer');
  for (const body of sent) {
    for (const secret of ['Tomatoes 1b9e', 'Ideas 7c3d', 'Garden']) expect(body).not.toContain(secret);
  }
  await other.close();
});
