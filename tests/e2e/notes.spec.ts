import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import PocketBase from 'pocketbase';
import { expect, superuserToken, test } from './fixtures';
import { accessibilityProblems, signInAs } from './helpers';
import { filesUnder } from './notes-helpers';
import { injectWallet } from './test-wallet';

/**
 * Encrypted notes in Chromium with a passphrase: set up, write, reload, unlock, read; a wrong
 * passphrase opens nothing; and afterwards no request body and no byte of the data folder holds the
 * plaintext.
 */

const PASSPHRASE = 'a long and private passphrase';
const TITLE = 'Plan for the heist 7f3a';
const TEXT = 'Meet at the old mill at dawn 91c2';

test('a note written with a passphrase is unreadable to the server and opens again after a reload', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin
    .collection('users')
    .create({ email: 'ada@example.com', password: 'ada password 1', passwordConfirm: 'ada password 1' });

  const bodies: string[] = [];
  const urls: string[] = [];
  page.on('request', (req) => {
    urls.push(req.url());
    const body = req.postData();
    if (body) bodies.push(body);
  });

  await signInAs(page, hearth.url, 'ada@example.com', 'ada password 1');
  await page.goto('/notes');
  await expect(page.getByRole('heading', { name: 'Set up encrypted notes' })).toBeVisible();
  expect(await accessibilityProblems(page), 'setup').toEqual([]);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create encryption key' }).click();

  // The recovery key is shown once, right after setup.
  const notice = page.getByRole('region', { name: 'Keep your recovery key' });
  const recoveryKey = /([0-9A-Z]{4}-){13}[0-9A-Z]{4}/.exec((await notice.textContent()) ?? '')?.[0];
  expect(recoveryKey).toBeTruthy();
  await notice.getByRole('button', { name: 'I have saved it' }).click();
  await expect(notice).toBeHidden();

  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill(TITLE);
  await page.getByLabel('Text').fill(TEXT);
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  expect(await accessibilityProblems(page), 'editor').toEqual([]);

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible();
  await page.getByLabel('Passphrase', { exact: true }).fill('not the passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveAccessibleDescription(
    'That passphrase does not unlock these notes.',
  );
  // The recovery key opens them too; a typo is caught by its checksum.
  await page.getByRole('button', { name: 'Use the recovery key instead' }).click();
  const typo = `${recoveryKey!.slice(0, -1)}${recoveryKey!.endsWith('0') ? '1' : '0'}`;
  await page.getByLabel('Recovery key').fill(typo);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByLabel('Recovery key')).toHaveAccessibleDescription(
    'That is not a recovery key: check for a typo.',
  );
  await page.getByLabel('Recovery key').fill(recoveryKey!.toLowerCase().replaceAll('-', ' '));
  await page.getByRole('button', { name: 'Unlock' }).click();
  const note = page.getByRole('button', { name: new RegExp(TITLE) });
  await expect(note).toBeVisible();
  await note.click();
  await expect(page.getByLabel('Text')).toHaveValue(TEXT);

  // Search runs over the decrypted notes in the browser.
  await page.getByRole('searchbox', { name: 'Search notes' }).fill('old mill');
  await expect(note).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search notes' }).fill('nothing like it');
  await expect(page.getByText('No note matches.')).toBeVisible();

  // Markdown preview: elements, never markup from the note; unsafe links are dropped.
  await page.getByRole('searchbox', { name: 'Search notes' }).fill('');
  await page
    .getByLabel('Text')
    .fill(
      `${TEXT}\n\n## Route\n\n- **north** gate\n- [map](javascript:alert(1))\n\n<img src=x onerror=alert(1)>`,
    );
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.getByRole('heading', { name: 'Route', level: 2 })).toBeVisible();
  await expect(preview.getByRole('listitem')).toHaveCount(2);
  await expect(preview.getByRole('link')).toHaveCount(0);
  await expect(preview.getByRole('img')).toHaveCount(0);
  await expect(preview).toContainText('<img src=x onerror=alert(1)>');
  await page.getByRole('button', { name: 'Write' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  // The server holds ciphertext only: in what the browser sent, and in every byte it stored.
  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible();
  // The saves themselves were seen: ciphertext went out, and nothing else did.
  expect(bodies.filter((b) => b.includes('"ciphertext"')).length).toBeGreaterThan(1);
  for (const url of urls)
    for (const secret of ['heist', 'mill', 'private passphrase']) expect(url).not.toContain(secret);
  for (const body of bodies) {
    expect(body).not.toContain(recoveryKey!);
    expect(body).not.toContain(TITLE);
    expect(body).not.toContain(TEXT);
    expect(body).not.toContain(PASSPHRASE);
  }
  // Nothing opened stays in the browser's storage after locking.
  const storage = await page.evaluate(
    () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
  );
  for (const secret of [TITLE, TEXT, PASSPHRASE]) expect(storage).not.toContain(secret);
  const stored = await admin.collection('notes').getFullList();
  expect(stored).toHaveLength(1);
  expect(JSON.stringify(stored)).not.toContain('heist');
  for (const file of filesUnder(hearth.dir)) {
    const bytes = readFileSync(file);
    for (const secret of [TITLE, TEXT, PASSPHRASE, recoveryKey!]) {
      expect(bytes.includes(Buffer.from(secret)), `${file} holds "${secret}"`).toBe(false);
    }
  }
});

test('two tabs editing one note: the later save is kept as a copy, no text is lost', async ({
  context,
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin
    .collection('users')
    .create({ email: 'bo@example.com', password: 'bo password 12', passwordConfirm: 'bo password 12' });
  await signInAs(page, hearth.url, 'bo@example.com', 'bo password 12');

  await page.goto('/notes');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create encryption key' }).click();
  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Shared list');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  // The second tab hears nothing through realtime (as a device that lost its stream), so its edit
  // is made on the old version.
  const other = await context.newPage();
  await other.route('**/api/realtime**', (route) => route.abort());
  await other.goto('/notes');
  await other.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await other.getByRole('button', { name: 'Unlock' }).click();
  await other.getByRole('button', { name: /Shared list/ }).click();

  await page.getByLabel('Text').fill('written in the first tab');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await other.getByLabel('Text').fill('written in the second tab');
  await expect(other.getByRole('alert')).toContainText('Your text was kept as a separate note.');
  await expect(other.getByLabel('Text')).toHaveValue('written in the first tab');

  await other.getByRole('button', { name: 'Open your copy' }).click();
  await expect(other.getByLabel('Title')).toHaveValue('Shared list (conflicting copy)');
  await expect(other.getByLabel('Text')).toHaveValue('written in the second tab');
  expect(await admin.collection('notes').getFullList()).toHaveLength(2);
});

test('a note open in two tabs follows saves made in the other through realtime', async ({
  context,
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin
    .collection('users')
    .create({ email: 'cy@example.com', password: 'cy password 12', passwordConfirm: 'cy password 12' });
  await signInAs(page, hearth.url, 'cy@example.com', 'cy password 12');

  await page.goto('/notes');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create encryption key' }).click();
  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Packing');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  const other = await context.newPage();
  await other.goto('/notes');
  await other.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await other.getByRole('button', { name: 'Unlock' }).click();
  await other.getByRole('button', { name: /Packing/ }).click();
  await expect(other.getByLabel('Title')).toHaveValue('Packing');

  await page.getByLabel('Text').fill('tent, stove, map');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await expect(other.getByLabel('Text')).toHaveValue('tent, stove, map');

  // A note made in one tab appears in the other's list.
  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Second list');
  await expect(other.getByRole('button', { name: /Second list/ })).toBeVisible();
});

test('notes set up with a wallet unlock with the same wallet after a reload', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin
    .collection('users')
    .create({ email: 'di@example.com', password: 'di password 12', passwordConfirm: 'di password 12' });
  const calls = await injectWallet(page, new Wallet('0x' + '7c'.repeat(32)));
  await signInAs(page, hearth.url, 'di@example.com', 'di password 12');

  await page.goto('/notes');
  await page.getByRole('button', { name: 'Use my wallet instead' }).click();
  await page
    .getByRole('region', { name: 'Keep your recovery key' })
    .getByRole('button', { name: 'I have saved it' })
    .click();
  expect(calls.filter((c) => c.startsWith('sign '))).toHaveLength(2); // twice: a determinism check

  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Wallet-locked thoughts');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible();
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveCount(0); // none was set
  await page.getByRole('button', { name: 'Unlock with wallet' }).click();
  await page.getByRole('button', { name: /Wallet-locked thoughts/ }).click();
  await expect(page.getByLabel('Title')).toHaveValue('Wallet-locked thoughts');
  expect(calls.filter((c) => c.startsWith('sign '))).toHaveLength(3);

  const keys = await admin.collection('notes_keys').getFullList();
  expect(keys).toHaveLength(1);
  expect(keys[0]!['walletWrap']).toBeTruthy();
  expect(keys[0]!['passphraseWrap']).toBeFalsy();
});

test('edits made offline, and one left unsaved at lock, reach the server later, sealed, even across a reload', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(90_000);
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin
    .collection('users')
    .create({ email: 'el@example.com', password: 'el password 12', passwordConfirm: 'el password 12' });
  await signInAs(page, hearth.url, 'el@example.com', 'el password 12');
  await page.goto('/notes');
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create encryption key' }).click();
  await page.getByRole('button', { name: 'I have saved it' }).click();
  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Field notes');
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  // The server cannot be reached for saves.
  const saves = /\/api\/collections\/notes\/records\/\w+/;
  const offline = (route: import('@playwright/test').Route) =>
    route.request().method() === 'PATCH' ? route.abort('internetdisconnected') : route.continue();
  await page.route(saves, offline);
  await page.getByLabel('Text').fill('written offline 3d9a');
  await expect(
    page.getByText('1 save is kept on this device until the server can be reached.'),
  ).toBeVisible();
  // Typed, then locked before autosave: sealed and queued, not waited for and not dropped.
  await page.getByLabel('Text').fill('written offline 3d9a, and more before locking');
  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible();
  const stored = await admin.collection('notes').getFirstListItem('');
  expect(stored['version']).toBe(2);

  // A reload keeps the queue (sealed, in the browser); once the server answers, it is sent.
  await page.reload();
  await page.unroute(saves, offline);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('button', { name: /Field notes/ }).click();
  await expect(page.getByLabel('Text')).toHaveValue('written offline 3d9a, and more before locking');
  await expect.poll(async () => (await admin.collection('notes').getOne(stored.id))['version']).toBe(4);
  const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  expect(storage).not.toContain('written offline');
});
