import type { APIRequestContext, Page } from '@playwright/test';
import type { HearthProcess } from '../support/hearth.js';
import { expect, test } from './fixtures';

const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery';

/** The printed first-run link and the code in its fragment. */
function setupLink(hearth: HearthProcess): { url: string; code: string } {
  expect(hearth.setupUrl, 'a fresh Hearth prints a setup link').toBeTruthy();
  const url = hearth.setupUrl!;
  return { url, code: new URL(url).hash.slice(1) };
}

/** Opens the setup link; the form only appears once the page has hydrated and checked the server. */
async function openSetup(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole('heading', { level: 1, name: 'Set up Hearth' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create superuser' })).toBeVisible();
}

async function setupRequired(request: APIRequestContext): Promise<boolean> {
  const res = await request.get('/api/hearth/setup');
  expect(res.status()).toBe(200);
  return ((await res.json()) as { required: boolean }).required;
}

/** The new superuser lands in the console, signed in there. */
async function expectSignedIn(page: Page, hearth: HearthProcess): Promise<void> {
  await expect(page).toHaveURL(`${hearth.url}/_/collections`);
  await expect(page.getByRole('navigation', { name: 'Console' })).toBeVisible();
  await expect(page.getByText(EMAIL)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

test('the first-run link creates a superuser and signs them in', async ({ page, hearth, request }) => {
  const { url, code } = setupLink(hearth);

  await page.goto('/');
  const card = page.getByRole('region', { name: 'Finish setting up' });
  await expect(card).toBeVisible();
  await expect(card.getByRole('link', { name: 'Set up Hearth' })).toHaveAttribute('href', '/setup');

  await openSetup(page, url);
  await expect(page.getByLabel('Setup code')).toHaveValue(code);
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create superuser' }).click();

  await expectSignedIn(page, hearth);
  await page.reload();
  await expect(page.getByText(EMAIL)).toBeVisible();
  // The home page no longer offers setup.
  await page.goto('/');
  await expect(page.getByText('Checking the server…')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Finish setting up' })).toHaveCount(0);

  const auth = await request.post('/api/collections/_superusers/auth-with-password', {
    data: { identity: EMAIL, password: PASSWORD },
  });
  expect(auth.status()).toBe(200);
  const body = (await auth.json()) as { token: string; record: { email: string } };
  expect(body.token).toBeTruthy();
  expect(body.record.email).toBe(EMAIL);
  expect(await setupRequired(request)).toBe(false);
});

const WRONG_CODE = 'The setup code is wrong. Use the link printed in the server console.';

// Each row opens a setup link, maybe retypes the code, submits, and must create nothing.
const badInputs: {
  name: string;
  link?: (url: string) => string;
  code?: (real: string) => string;
  confirm: string;
  shows: (page: Page) => Promise<void>;
}[] = [
  {
    name: 'a confirmation that does not match',
    confirm: 'correct horse battery staple',
    shows: async (page) => {
      const confirm = page.getByLabel('Confirm password');
      await expect(confirm).toHaveAccessibleDescription("Values don't match.");
      await expect(confirm).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel('Password', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
      // The field error follows a language switch (it is described on render, not once).
      await page.getByRole('combobox', { name: 'Language' }).selectOption('de');
      await expect(page.getByLabel('Passwort bestätigen')).toHaveAccessibleDescription(
        'Die Werte stimmen nicht überein.',
      );
      await page.getByRole('combobox', { name: 'Sprache' }).selectOption('en');
    },
  },
  {
    name: 'a wrong setup code',
    code: (real) => `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`,
    confirm: PASSWORD,
    shows: (page) => expect(page.getByRole('alert')).toHaveText(WRONG_CODE),
  },
  {
    // Regression: a broken %-escape in the fragment threw in onMount and left "Checking…" up forever.
    name: 'a mangled link',
    link: (url) => url.replace(/#.*$/, '#%E0%A4%A'),
    confirm: PASSWORD,
    shows: async (page) => {
      await expect(page.getByLabel('Setup code')).toHaveValue('%E0%A4%A');
      await expect(page.getByRole('alert')).toHaveText(WRONG_CODE);
    },
  },
];

for (const row of badInputs) {
  test(`setup with ${row.name} shows why and creates nothing`, async ({ page, hearth, request }) => {
    const { url, code } = setupLink(hearth);
    await openSetup(page, row.link?.(url) ?? url);
    if (row.code) await page.getByLabel('Setup code').fill(row.code(code));
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(row.confirm);
    await page.getByRole('button', { name: 'Create superuser' }).click();

    await row.shows(page);
    await expect(page.getByRole('button', { name: 'Create superuser' })).toBeEnabled();
    await expect(page).toHaveURL(/\/setup#/);
    expect(await setupRequired(request)).toBe(true);
    const auth = await request.post('/api/collections/_superusers/auth-with-password', {
      data: { identity: EMAIL, password: PASSWORD },
    });
    expect(auth.status()).toBe(400);
  });
}

test('the setup page says so once Hearth is set up', async ({ page, hearth, request }) => {
  const { url, code } = setupLink(hearth);
  const created = await request.post('/api/hearth/setup', {
    data: { code, email: EMAIL, password: PASSWORD, passwordConfirm: PASSWORD },
  });
  expect(created.status()).toBe(200);

  await page.goto(url);
  await expect(page.getByText('Hearth is already set up.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Go to the home page' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create superuser' })).toHaveCount(0);
});

test('setup works with the keyboard alone', async ({ page, hearth }) => {
  const { url } = setupLink(hearth);
  await openSetup(page, url);

  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();

  // Through the header to the first field; the exact number of header stops is not the point.
  const code = page.getByLabel('Setup code');
  for (let i = 0; i < 10 && !(await code.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(code).toBeFocused();

  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type(EMAIL);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Confirm password')).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');

  await expectSignedIn(page, hearth);
});
