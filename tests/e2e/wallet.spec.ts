import { Wallet } from 'ethers';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { injectWallet as inject, type WalletOptions } from './test-wallet';

/**
 * Sign-In with Ethereum in Chromium with a wallet like MetaMask: an EIP-1193 provider injected before
 * the page loads, announced through EIP-6963, whose key stays in Node (an ethers Wallet signs there,
 * through page.exposeFunction). The server checks the message and signature with the siwe library.
 */

const wallet = new Wallet('0x' + '5a'.repeat(32));
const injectWallet = (page: Page, options: WalletOptions = {}) => inject(page, wallet, options);

async function openWalletDialog(page: Page) {
  await page.goto('/');
  await page.getByRole('banner').getByRole('button', { name: 'Sign in' }).click();
  await page
    .getByRole('dialog', { name: 'Sign in' })
    .getByRole('button', { name: 'Sign in with wallet' })
    .click();
  const dialog = page.getByRole('dialog', { name: 'Sign in with a wallet' });
  await expect(dialog).toBeVisible();
  return dialog;
}

test('a wallet signs in with a signed EIP-4361 message, and the account lists the address', async ({
  page,
  request,
}) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  let release = () => {};
  const calls = await injectWallet(page, { hold: new Promise<void>((resolve) => (release = resolve)) });
  const dialog = await openWalletDialog(page);
  await dialog.getByRole('button', { name: 'Sign in with Test Wallet' }).click();
  // While the wallet waits for the user, the dialog says what to do there.
  await expect(dialog.getByRole('status')).toHaveText(
    'Sign the message in your wallet to prove the account is yours.',
  );
  await expect(dialog.getByRole('listitem').filter({ hasText: 'Sign' })).toHaveAttribute(
    'aria-current',
    'step',
  );
  release();
  await expect(dialog).toBeHidden();
  expect(calls).toEqual([`sign ${wallet.address}`]);

  const short = `${wallet.address.slice(0, 6)}…${wallet.address.slice(-4)}`;
  await expect(page.getByText(`Signed in as ${short}`)).toBeVisible();
  // The session is the SDK's: the server accepts its token.
  const token = await page.evaluate(
    () => (JSON.parse(localStorage.getItem('pocketbase_auth') ?? '{}') as { token?: string }).token ?? '',
  );
  const refreshed = await request.post('/api/collections/users/auth-refresh', {
    headers: { Authorization: token },
  });
  expect(refreshed.status()).toBe(200);

  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  const identities = page.getByRole('region', { name: 'Linked sign-in methods' });
  await expect(identities).toContainText('Ethereum wallet');
  await expect(identities).toContainText(wallet.address);
  await expect(
    identities.getByRole('button', { name: `Remove Ethereum wallet (${wallet.address})` }),
  ).toBeVisible();
  await expect(page.getByRole('region', { name: 'Please verify your email' })).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('cancelling in the wallet says so and signs nobody in', async ({ page }) => {
  const calls = await injectWallet(page, { refuse: 'personal_sign' });
  const dialog = await openWalletDialog(page);
  await dialog.getByRole('button', { name: 'Sign in with Test Wallet' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('You cancelled the request in your wallet.');
  expect(calls).toEqual([]);
  await expect(dialog.getByRole('button', { name: 'Sign in with Test Wallet' })).toBeEnabled();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('banner').getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('without a wallet the dialog says how to get one', async ({ page }) => {
  const dialog = await openWalletDialog(page);
  await expect(dialog.getByRole('alert')).toHaveText(
    'No wallet found. Install a browser wallet such as MetaMask, then reload this page.',
  );
});

test('a signed-in account links a wallet, signs in with it, and removes it', async ({
  page,
  request,
  hearth,
}) => {
  const email = 'holder@example.com';
  const password = 'first pass phrase';
  const created = await request.post('/api/collections/users/records', {
    data: { email, password, passwordConfirm: password },
  });
  expect(created.status()).toBe(200);
  // Only an account whose email is proven may link another way in: a superuser marks it verified.
  const code = new URL(hearth.setupUrl!).hash.slice(1);
  const owner = await request.post('/api/hearth/setup', {
    data: {
      code,
      email: 'owner@example.com',
      password: 'correct horse battery',
      passwordConfirm: 'correct horse battery',
    },
  });
  const { token } = (await owner.json()) as { token: string };
  const { id } = (await created.json()) as { id: string };
  const verified = await request.patch(`/api/collections/users/records/${id}`, {
    headers: { Authorization: token },
    data: { verified: true },
  });
  expect(verified.status()).toBe(200);
  await injectWallet(page);
  await page.goto('/');
  await page.getByRole('banner').getByRole('button', { name: 'Sign in' }).click();
  const signIn = page.getByRole('dialog', { name: 'Sign in' });
  await signIn.getByRole('textbox', { name: 'Email' }).fill(email);
  await signIn.getByLabel('Password', { exact: true }).fill(password);
  await signIn.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

  await page.getByRole('link', { name: 'Account' }).click();
  const identities = page.getByRole('region', { name: 'Linked sign-in methods' });
  await identities.getByRole('button', { name: 'Link a wallet' }).click();
  const dialog = page.getByRole('dialog', { name: 'Link a wallet' });
  await dialog.getByRole('button', { name: 'Sign in with Test Wallet' }).click();
  await expect(dialog).toBeHidden();
  await expect(identities.getByRole('status')).toHaveText('Your wallet now signs you in to this account.');
  const remove = identities.getByRole('button', { name: `Remove Ethereum wallet (${wallet.address})` });
  await expect(remove).toBeVisible();

  // Signed out, the wallet signs in to the same account.
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('banner').getByRole('button', { name: 'Sign in' }).click();
  await page
    .getByRole('dialog', { name: 'Sign in' })
    .getByRole('button', { name: 'Sign in with wallet' })
    .click();
  await page
    .getByRole('dialog', { name: 'Sign in with a wallet' })
    .getByRole('button', { name: 'Sign in with Test Wallet' })
    .click();
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

  await page.getByRole('link', { name: 'Account' }).click();
  await remove.click();
  await expect(identities.getByRole('status')).toHaveText('Ethereum wallet no longer signs you in.');
  await expect(identities).toContainText('No other sign-in methods are linked to this account.');
});
