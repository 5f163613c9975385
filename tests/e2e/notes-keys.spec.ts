import type { Locator, Page } from '@playwright/test';
import { Wallet } from 'ethers';
import PocketBase, { type RecordModel } from 'pocketbase';
import { expect, superuserToken, test } from './fixtures';
import { accessibilityProblems, signInAs } from './helpers';
import { injectWallet } from './test-wallet';

/**
 * The ways to unlock encrypted notes, changed from the Encryption keys panel: a new passphrase, an
 * added wallet and a new recovery key each open the same notes, the replaced passphrase and recovery
 * key no longer do, and no note changes on the server (only the master key is re-wrapped).
 */

const OLD_PASSPHRASE = 'the first long passphrase';
const NEW_PASSPHRASE = 'a second, even longer passphrase';
const TITLE = 'Keys change, notes stay 4b7e';
const RECOVERY_KEY = /([0-9A-Z]{4}-){13}[0-9A-Z]{4}/;

async function openKeysPanel(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: 'Encryption keys' }).click();
  const panel = page.getByRole('region', { name: 'Encryption keys' });
  await expect(panel).toBeVisible();
  return panel;
}

async function lock(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Notes are locked' })).toBeVisible();
}

async function expectNoteListed(page: Page): Promise<void> {
  await expect(page.getByRole('button', { name: new RegExp(TITLE) })).toBeVisible();
}

/** The recovery key in the notice shown once, after which the notice is dismissed. */
async function takeRecoveryKey(page: Page): Promise<string> {
  const notice = page.getByRole('region', { name: 'Keep your recovery key' });
  await expect(notice).toContainText(RECOVERY_KEY);
  const key = RECOVERY_KEY.exec((await notice.textContent()) ?? '')![0];
  await notice.getByRole('button', { name: 'I have saved it' }).click();
  await expect(notice).toBeHidden();
  return key;
}

/** What a note is on the server: a change of keys must leave every byte of it alone. */
const noteBytes = (notes: RecordModel[]) =>
  notes.map((n) => ({ id: n.id, keyWrap: n['keyWrap'], ciphertext: n['ciphertext'], version: n['version'] }));

test('a changed passphrase, an added wallet and a new recovery key each unlock the same notes', async ({
  page,
  hearth,
  request,
}) => {
  test.setTimeout(120_000); // four scrypt derivations in the browser
  const token = await superuserToken(hearth, request);
  const admin = new PocketBase(hearth.url);
  admin.authStore.save(token, null);
  await admin
    .collection('users')
    .create({ email: 'ed@example.com', password: 'ed password 12', passwordConfirm: 'ed password 12' });
  const wallet = new Wallet('0x' + '5a'.repeat(32));
  const calls = await injectWallet(page, wallet);
  const signatures = () => calls.filter((c) => c.startsWith('sign ')).length;
  await signInAs(page, hearth.url, 'ed@example.com', 'ed password 12');

  await page.goto('/notes');
  await page.getByLabel('Passphrase', { exact: true }).fill(OLD_PASSPHRASE);
  await page.getByLabel('Confirm passphrase').fill(OLD_PASSPHRASE);
  await page.getByRole('button', { name: 'Create encryption key' }).click();
  const oldRecoveryKey = await takeRecoveryKey(page);
  await page.getByRole('button', { name: 'New note' }).click();
  await page.getByLabel('Title').fill(TITLE);
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const notesBefore = noteBytes(await admin.collection('notes').getFullList());
  const [keysBefore] = await admin.collection('notes_keys').getFullList();

  // A new passphrase: checked as at setup, then the old one stops working and the new one opens.
  let panel = await openKeysPanel(page);
  expect(await accessibilityProblems(page), 'keys panel').toEqual([]);
  await expect(panel).toContainText('A passphrase unlocks these notes.');
  await expect(panel.getByRole('button', { name: 'Remove passphrase' })).toHaveCount(0); // no wallet yet
  await panel.getByLabel('New passphrase', { exact: true }).fill('too short');
  await panel.getByLabel('Confirm new passphrase').fill('too short');
  await panel.getByRole('button', { name: 'Change passphrase' }).click();
  await expect(panel.getByRole('alert')).toHaveText('Use at least 10 characters.');
  await panel.getByLabel('New passphrase', { exact: true }).fill(NEW_PASSPHRASE);
  await panel.getByLabel('Confirm new passphrase').fill(`${NEW_PASSPHRASE}!`);
  await panel.getByRole('button', { name: 'Change passphrase' }).click();
  await expect(panel.getByRole('alert')).toHaveText('The passphrases do not match.');
  await panel.getByLabel('Confirm new passphrase').fill(NEW_PASSPHRASE);
  await panel.getByRole('button', { name: 'Change passphrase' }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'The passphrase was changed' })).toBeVisible();
  await expect(panel.getByLabel('New passphrase', { exact: true })).toHaveValue('');

  await lock(page);
  await page.getByLabel('Passphrase', { exact: true }).fill(OLD_PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(page.getByLabel('Passphrase', { exact: true })).toHaveAccessibleDescription(
    'That passphrase does not unlock these notes.',
  );
  await page.getByLabel('Passphrase', { exact: true }).fill(NEW_PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expectNoteListed(page);

  // A wallet beside the passphrase: signed twice when added, once to unlock.
  panel = await openKeysPanel(page);
  await expect(panel).toContainText('No wallet is set.');
  await panel.getByRole('button', { name: 'Use a wallet' }).click();
  await expect(
    panel
      .getByRole('status')
      .filter({ hasText: `The wallet account ${wallet.address} now unlocks these notes.` }),
  ).toBeVisible();
  expect(signatures()).toBe(2);
  await expect(panel.getByRole('button', { name: 'Use another wallet' })).toBeVisible();
  // With two ways set, either may go.
  await expect(panel.getByRole('button', { name: 'Remove passphrase' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Remove wallet' })).toBeVisible();

  await lock(page);
  await page.getByRole('button', { name: 'Unlock with wallet' }).click();
  await expectNoteListed(page);
  expect(signatures()).toBe(3);

  // A new recovery key, after a warning: shown once, it unlocks, and the old one no longer does.
  panel = await openKeysPanel(page);
  await panel.getByRole('button', { name: 'Make a new recovery key' }).click();
  const replace = panel.getByRole('button', { name: 'Replace the recovery key' });
  await expect(replace).toBeFocused();
  await expect(replace).toHaveAccessibleDescription(/Your current recovery key will stop working/);
  await replace.click();
  const newRecoveryKey = await takeRecoveryKey(page);
  expect(newRecoveryKey).not.toBe(oldRecoveryKey);
  await expect(panel.getByRole('status').filter({ hasText: 'The old one no longer works.' })).toBeVisible();

  await lock(page);
  await page.getByRole('button', { name: 'Use the recovery key instead' }).click();
  await page.getByLabel('Recovery key').fill(oldRecoveryKey);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expect(page.getByLabel('Recovery key')).toHaveAccessibleDescription(
    'That recovery key does not unlock these notes.',
  );
  await page.getByLabel('Recovery key').fill(newRecoveryKey);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await expectNoteListed(page);

  // Only the wrapped master keys changed: the note and the box key pair are as they were.
  expect(noteBytes(await admin.collection('notes').getFullList())).toEqual(notesBefore);
  const [keysAfter] = await admin.collection('notes_keys').getFullList();
  expect(keysAfter!['boxPublicKey']).toBe(keysBefore!['boxPublicKey']);
  expect(keysAfter!['boxSecretWrap']).toBe(keysBefore!['boxSecretWrap']);
  expect(keysAfter!['passphraseWrap']).not.toBe(keysBefore!['passphraseWrap']);
  expect(keysAfter!['passphraseParams']).not.toEqual(keysBefore!['passphraseParams']);
  expect(keysAfter!['recoveryWrap']).not.toBe(keysBefore!['recoveryWrap']);
  expect(keysAfter!['walletAddress']).toBe(wallet.address);
});
