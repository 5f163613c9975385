import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import PocketBase from 'pocketbase';
import nacl from 'tweetnacl';
import { expect, superuserToken, test } from './fixtures';
import { accessibilityProblems } from './helpers';
import { filesUnder, recordRequests, setUpNotes } from './notes-helpers';

/**
 * Sharing an encrypted note with another Hearth user, in two browsers: the recipient finds it under
 * "Shared with me" and reads it; after the owner revokes, they can no longer (the note is re-keyed).
 * Then the version history: a kept version is restored. Neither browser ever sent the plaintext, and
 * no byte of the data folder holds it.
 */

const PASSPHRASE = 'a long and private passphrase';
const TITLE = 'Recipe for the harvest 5d1e';
const TEXT = 'Three cups of flour, one secret 83af';
const EDIT = 'Bob added a pinch of salt 2c7b';
const FILE = {
  name: 'harvest-map.txt',
  mimeType: 'text/plain',
  buffer: Buffer.from('Field 9, under the oak 4e0f'),
};

/** Clicks a download button and returns the downloaded bytes. */
async function downloaded(page: Page, name: string): Promise<string> {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(FILE.name);
  return readFileSync((await file.path())!).toString();
}

test('a note shared with another user opens in their browser, and no longer after revoking', async ({
  browser,
  page,
  hearth,
  request,
}) => {
  test.setTimeout(120_000);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(await superuserToken(hearth, request), null);
  const users = [
    ['ann@example.com', 'ann password 12'],
    ['bob@example.com', 'bob password 12'],
  ] as const;
  for (const [email, password] of users) {
    await admin.collection('users').create({ email, password, passwordConfirm: password });
  }
  const bobContext = await browser.newContext({ baseURL: hearth.url });
  const bobPage = await bobContext.newPage();
  // Bob sets up notes first: sharing needs his public key.
  const bobSent = recordRequests(bobPage);
  await setUpNotes(bobPage, hearth.url, users[1], PASSPHRASE);
  const annSent = recordRequests(page);
  await setUpNotes(page, hearth.url, users[0], PASSPHRASE);

  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill(TITLE);
  await page.getByLabel('Text').fill(TEXT);
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  // An attachment is sealed in the browser and uploaded as `<random id>.bin`.
  await page.getByLabel('Attach files').setInputFiles(FILE);
  await expect(page.getByRole('status').filter({ hasText: '1 file attached.' })).toBeVisible();
  expect(await downloaded(page, `Download ${FILE.name}`)).toBe(FILE.buffer.toString());

  // Sharing: an unknown address is refused with a reason; Bob's works.
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Share this note' });
  await panel.getByLabel('Email').fill('nobody@example.com');
  await panel.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(panel.getByRole('alert')).toHaveText(
    'No Hearth user with that email has set up encrypted notes.',
  );
  await panel.getByLabel('Email').fill(users[1][0]);
  await panel.getByLabel('Can edit').check();
  await panel.getByRole('button', { name: 'Share', exact: true }).click();
  // Bob never verified his address: the owner is told so.
  await expect(panel.getByRole('status')).toHaveText(
    `Shared with ${users[1][0]}. That address is not verified yet: make sure it is the person you mean.`,
  );
  await expect(panel.getByRole('listitem')).toContainText(users[1][0]);
  expect(await accessibilityProblems(page), 'share panel').toEqual([]);

  // Bob finds it under "Shared with me" (realtime brings it), reads it and edits it.
  await bobPage.getByRole('button', { name: 'Shared with me' }).click();
  const shared = bobPage.getByRole('button', { name: new RegExp(TITLE) });
  await expect(shared).toBeVisible();
  await shared.click();
  await expect(bobPage.getByLabel('Text')).toHaveValue(TEXT);
  await expect(bobPage.getByText('Shared with you: you can edit this note.')).toBeVisible();
  expect(await downloaded(bobPage, `Download ${FILE.name}`)).toBe(FILE.buffer.toString());
  await bobPage.getByLabel('Text').fill(`${TEXT}\n${EDIT}`);
  await expect(bobPage.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  // Ann's open note follows Bob's save.
  await expect(page.getByLabel('Text')).toHaveValue(`${TEXT}\n${EDIT}`);
  const before = await admin.collection('notes').getFirstListItem('');

  // A share the owner never made (put there by whoever runs the server) must not receive the new key.
  const eve = await admin
    .collection('users')
    .create({ email: 'eve@example.com', password: 'eve password 12', passwordConfirm: 'eve password 12' });
  const eveKey = Buffer.from(nacl.box.keyPair().publicKey).toString('base64url');
  const forged = await admin.collection('notes_shares').create({
    note: before.id,
    recipient: eve.id,
    keyWrap: 'A'.repeat(142),
    recipientKey: eveKey,
    canEdit: true,
  });

  // Revoking: Bob's share goes, the note is encrypted again under a new key.
  await panel.getByRole('button', { name: `Revoke access for ${users[1][0]}` }).click();
  await expect(panel.getByRole('status')).toContainText('no longer has access');
  await expect(panel.getByText('Not shared with anyone.')).toBeVisible();
  const after = await admin.collection('notes').getOne(before.id);
  await expect(admin.collection('notes_shares').getOne(forged.id)).rejects.toMatchObject({ status: 404 });
  expect(after['keyWrap']).not.toBe(before['keyWrap']);
  expect(after['version']).toBe(Number(before['version']) + 1);
  await expect(shared).toBeHidden(); // realtime told Bob's browser his share is gone
  await bobPage.reload();
  await bobPage.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await bobPage.getByRole('button', { name: 'Unlock' }).click();
  await bobPage.getByRole('button', { name: 'Shared with me' }).click();
  await expect(bobPage.getByText('Nothing is shared with you.')).toBeVisible();
  const bob = new PocketBase(hearth.url);
  await bob.collection('users').authWithPassword(...users[1]);
  await expect(bob.collection('notes').getOne(before.id)).rejects.toMatchObject({ status: 404 });
  // The re-keyed note still carries its attachment (its own key is inside the sealed body).
  expect(await downloaded(page, `Download ${FILE.name}`)).toBe(FILE.buffer.toString());
  const stored = await admin.collection('notes').getOne(before.id);
  expect(stored['attachments']).toEqual([expect.stringMatching(/^[a-z0-9]{15}_[a-z0-9]{10}\.bin$/)]);

  // History: the first save of the session was kept; restoring it makes the next version.
  await page.getByRole('button', { name: 'History' }).click();
  const history = page.getByRole('region', { name: 'Version history' });
  await history.getByRole('button', { name: /^Version 2/ }).click();
  await expect(history.getByRole('article', { name: 'Version 2' })).toContainText(TEXT);
  expect(await accessibilityProblems(page), 'history panel').toEqual([]);
  await history.getByRole('button', { name: 'Restore version 2' }).click();
  await expect(page.getByLabel('Text')).toHaveValue(TEXT);
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const restored = await admin.collection('notes').getOne(before.id);
  expect(restored['version']).toBe(Number(after['version']) + 1);

  // Neither browser sent the plaintext, and the server stored none of it.
  for (const sent of [...annSent, ...bobSent]) {
    for (const secret of [TITLE, TEXT, EDIT, PASSPHRASE, FILE.name]) expect(sent).not.toContain(secret);
  }
  // The share's label is the sealed address, not the address.
  expect(annSent.some((s) => s.includes('"label"'))).toBe(true);
  await page.getByRole('button', { name: 'Lock' }).click();
  await bobContext.close();
  for (const file of filesUnder(hearth.dir)) {
    const bytes = readFileSync(file);
    for (const secret of [TITLE, TEXT, EDIT, FILE.buffer.toString(), FILE.name]) {
      expect(bytes.includes(Buffer.from(secret)), `${file} holds "${secret}"`).toBe(false);
    }
  }
});
