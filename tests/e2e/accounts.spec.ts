import type { APIRequestContext, Locator, Page } from '@playwright/test';
import type { HearthProcess } from '../support/hearth.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { expect, superuserToken, test } from './fixtures';

/**
 * The account flows of the web app in Chromium, against a real Hearth whose mail goes to a real SMTP
 * sink: sign up and verify, forgot password, change password and email, sign out everywhere, and
 * the rate limit in words. Elements are found by role and accessible name, as a screen reader would.
 */

const PASSWORD = 'first pass phrase';

/** Sends this Hearth's mail to `sink`, with links that point at this Hearth. */
async function mailTo(sink: SmtpSink, hearth: HearthProcess, request: APIRequestContext): Promise<void> {
  const token = await superuserToken(hearth, request);
  const res = await request.patch('/api/settings', {
    headers: { Authorization: token },
    data: { smtp: sink.smtpSettings(), meta: { appURL: hearth.url } },
  });
  expect(res.status()).toBe(200);
}

/** The link of the newest mail to `email` whose path is `path`, checked to lead to this Hearth. */
async function linkFrom(sink: SmtpSink, hearth: HearthProcess, email: string, path: string): Promise<string> {
  const mail = await sink.waitFor(
    (m) => m.envelope.to.includes(email) && m.links.some((l) => l.includes(path)),
  );
  const link = mail.links.find((l) => l.includes(path))!;
  expect(link.startsWith(`${hearth.url}${path}#token=`), link).toBe(true);
  return link;
}

async function createUser(request: APIRequestContext, email: string, password = PASSWORD): Promise<void> {
  const res = await request.post('/api/collections/users/records', {
    data: { email, password, passwordConfirm: password },
  });
  expect(res.status()).toBe(200);
}

/** The session the page keeps in the SDK's LocalAuthStore. */
async function storedToken(page: Page): Promise<string> {
  return page.evaluate(
    () => (JSON.parse(localStorage.getItem('pocketbase_auth') ?? '{}') as { token?: string }).token ?? '',
  );
}

/** Opens the sign-in dialog from the header (shown once the page has read the stored session). */
async function openSignIn(page: Page): Promise<Locator> {
  await page.getByRole('banner').getByRole('button', { name: 'Sign in' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sign in' });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  const dialog = await openSignIn(page);
  await dialog.getByRole('textbox', { name: 'Email' }).fill(email);
  await dialog.getByLabel('Password', { exact: true }).fill(password);
  await dialog.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
}

test.describe('with mail', () => {
  let sink: SmtpSink;
  test.beforeEach(async () => {
    sink = await startSmtpSink();
  });
  test.afterEach(async () => {
    await sink.close();
  });

  test('sign up, open the mailed link, and the account is verified and signed in', async ({
    page,
    hearth,
    request,
  }) => {
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await mailTo(sink, hearth, request);
    const email = 'new.user@example.com';

    await page.goto('/');
    await page.getByRole('banner').getByRole('button', { name: 'Sign up' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create your account' });
    // showModal() puts the focus in the first field.
    await expect(dialog.getByRole('textbox', { name: 'Email' })).toBeFocused();
    await dialog.getByRole('textbox', { name: 'Email' }).fill(email);
    await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await dialog.getByLabel('Confirm password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Create account' }).click();

    await expect(dialog).toBeHidden();
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
    const banner = page.getByRole('region', { name: 'Please verify your email' });
    await expect(banner).toBeVisible();
    await expect(banner.getByRole('status')).toHaveText(`We sent a link to ${email}. Check your inbox.`);

    const link = await linkFrom(sink, hearth, email, '/auth/verify');
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1, name: 'Verify your email' })).toBeVisible();
    await expect(page.getByRole('main').getByRole('status')).toContainText('Your email is verified.');
    await expect(banner).toHaveCount(0);
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();

    // The server agrees, and the session survives a reload without the banner.
    const refreshed = await request.post('/api/collections/users/auth-refresh', {
      headers: { Authorization: await storedToken(page) },
    });
    expect(refreshed.status()).toBe(200);
    expect(((await refreshed.json()) as { record: { verified: boolean } }).record.verified).toBe(true);
    await page.reload();
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
    await expect(banner).toHaveCount(0);

    // A forged token and a cut-off link say what is wrong with them. (Each opened fresh, as from a
    // mail program: a goto that only changes the fragment would not load the page again.)
    await page.goto('about:blank');
    await page.goto(link.replace(/#token=.*/, '#token=forged.token.value'));
    await expect(page.getByRole('alert')).toContainText('This link is invalid or has expired.');
    await page.goto('about:blank');
    await page.goto(link.replace(/#token=.*/, ''));
    await expect(page.getByRole('alert')).toContainText('This link is incomplete.');
    expect(problems).toEqual([]);
  });

  test('forgot password: request, mailed link, new password, sign in with it', async ({
    page,
    hearth,
    request,
  }) => {
    await mailTo(sink, hearth, request);
    const email = 'forgetful@example.com';
    await createUser(request, email);
    const newPassword = 'second pass phrase';

    await page.goto('/');
    const signInDialog = await openSignIn(page);
    await signInDialog.getByRole('textbox', { name: 'Email' }).fill(email);
    await signInDialog.getByRole('button', { name: 'Forgot your password?' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reset your password' });
    // The email typed so far comes along.
    await expect(dialog.getByRole('textbox', { name: 'Email' })).toHaveValue(email);
    await dialog.getByRole('button', { name: 'Send reset link' }).click();
    const sent = page.getByRole('dialog', { name: 'Check your email' });
    await expect(sent.getByRole('status')).toContainText(`If an account uses ${email}`);
    await sent.getByRole('button', { name: 'Close' }).click();
    await expect(sent).toBeHidden();

    const link = await linkFrom(sink, hearth, email, '/auth/reset-password');
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
    // Mismatched confirmation: the field says why, nothing changes.
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill('something else');
    await page.getByRole('button', { name: 'Save new password' }).click();
    await expect(page.getByRole('alert')).toHaveText('Please check the marked fields.');
    await expect(page.getByLabel('Confirm new password')).toHaveAccessibleDescription("Values don't match.");
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Save new password' }).click();
    await expect(page.getByRole('main').getByRole('status')).toContainText(
      'Your password is changed. Sign in with the new one.',
    );

    await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    const again = page.getByRole('dialog', { name: 'Sign in' });
    await expect(again.getByRole('textbox', { name: 'Email' })).toHaveValue(email);
    await again.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(again.getByRole('alert')).toHaveText('The email or password is wrong.');
    await again.getByLabel('Password', { exact: true }).fill(newPassword);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(again).toBeHidden();
    await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
  });

  test('the account page changes the password and the email, and signs out everywhere', async ({
    page,
    hearth,
    request,
    browser,
  }) => {
    await mailTo(sink, hearth, request);
    const email = 'mover@example.com';
    const newEmail = 'moved@example.com';
    const newPassword = 'second pass phrase';
    await createUser(request, email);
    await page.goto('/');
    await signIn(page, email, PASSWORD);
    await page.getByRole('link', { name: 'Account' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Linked sign-in methods' })).toContainText(
      'No other sign-in methods are linked to this account.',
    );

    // Change password: a wrong current one is refused, the right one keeps this session.
    await page.getByRole('button', { name: 'Change password' }).click();
    const pwDialog = page.getByRole('dialog', { name: 'Change password' });
    await pwDialog.getByLabel('Current password').fill('not my password');
    await pwDialog.getByLabel('New password', { exact: true }).fill(newPassword);
    await pwDialog.getByLabel('Confirm new password').fill(newPassword);
    await pwDialog.getByRole('button', { name: 'Change password' }).click();
    await expect(pwDialog.getByLabel('Current password')).toHaveAccessibleDescription(
      'The current password is wrong.',
    );
    await pwDialog.getByLabel('Current password').fill(PASSWORD);
    await pwDialog.getByRole('button', { name: 'Change password' }).click();
    await expect(pwDialog).toBeHidden();
    await expect(page.getByRole('main').getByRole('status').first()).toContainText(
      'Your password is changed.',
    );
    const old = await request.post('/api/collections/users/auth-with-password', {
      data: { identity: email, password: PASSWORD },
    });
    expect(old.status()).toBe(400);

    // Change email: the link goes to the new address; confirming with the password signs in with it.
    await page.getByRole('button', { name: 'Change email' }).click();
    const emailDialog = page.getByRole('dialog', { name: 'Change email' });
    await emailDialog.getByRole('textbox', { name: 'New email' }).fill(newEmail);
    await emailDialog.getByRole('button', { name: 'Send confirmation link' }).click();
    await expect(emailDialog).toBeHidden();
    await expect(page.getByRole('main').getByRole('status').first()).toContainText(`Check ${newEmail}`);
    const link = await linkFrom(sink, hearth, newEmail, '/auth/confirm-email');
    await page.goto(link);
    await expect(page.getByRole('heading', { level: 1, name: 'Confirm your new email' })).toBeVisible();
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Change email' }).click();
    await expect(page.getByRole('main').getByRole('status')).toContainText(`Your email is now ${newEmail}.`);
    await expect(page.getByText(`Signed in as ${newEmail}`)).toBeVisible();

    // Sign out everywhere: another browser's session ends too.
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(hearth.url);
    await signIn(otherPage, newEmail, newPassword);
    const otherToken = await storedToken(otherPage);
    await page.goto('/account');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(page).toHaveURL(`${hearth.url}/`);
    await expect(page.getByRole('banner').getByRole('button', { name: 'Sign in' })).toBeVisible();
    const refresh = await request.post('/api/collections/users/auth-refresh', {
      headers: { Authorization: otherToken },
    });
    expect(refresh.status()).toBe(401);
    // The other browser finds out at its next page load.
    await otherPage.reload();
    await expect(otherPage.getByRole('banner').getByRole('button', { name: 'Sign in' })).toBeVisible();
    await other.close();
  });
});

test('repeated wrong passwords meet the rate limit, said in words', async ({ page, request }) => {
  await createUser(request, 'target@example.com');
  await page.goto('/');
  const dialog = await openSignIn(page);
  await dialog.getByRole('textbox', { name: 'Email' }).fill('target@example.com');
  await dialog.getByLabel('Password', { exact: true }).fill('wrong guess');
  const alert = dialog.getByRole('alert');
  // Five failures in ten seconds are allowed (the default rule), the sixth is refused.
  for (let i = 0; i < 5; i++) {
    await dialog.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(alert).toHaveText('The email or password is wrong.');
    await expect(dialog.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  }
  await dialog.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(alert).toHaveText('Too many attempts. Please wait a minute and try again.');
});

test('the dialogs work with the keyboard alone, in German', async ({ page, context, hearth, request }) => {
  await context.addCookies([{ name: 'hearth_lang', value: 'de', url: hearth.url }]);
  await createUser(request, 'tastatur@example.com');
  await page.goto('/');
  const open = page.getByRole('banner').getByRole('button', { name: 'Anmelden' });
  await open.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Anmelden' });
  await expect(dialog.getByRole('textbox', { name: 'E-Mail' })).toBeFocused();
  await page.keyboard.type('tastatur@example.com');
  await page.keyboard.press('Tab');
  await expect(dialog.getByLabel('Passwort', { exact: true })).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Angemeldet als tastatur@example.com')).toBeVisible();

  // Escape closes a dialog and gives the focus back.
  await page.getByRole('banner').getByRole('button', { name: 'Abmelden' }).click();
  await page.getByRole('banner').getByRole('button', { name: 'Registrieren' }).focus();
  await page.keyboard.press('Enter');
  const signUp = page.getByRole('dialog', { name: 'Konto erstellen' });
  await expect(signUp).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(signUp).toBeHidden();
  await expect(page.getByRole('banner').getByRole('button', { name: 'Registrieren' })).toBeFocused();
});
