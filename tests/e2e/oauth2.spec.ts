import { join } from 'node:path';
import type PocketBase from 'pocketbase';
import type { RecordAuthResponse, RecordModel } from 'pocketbase';
import { ROOT } from '../support/hearth.js';
import { startOidcProvider } from '../support/oidc-provider';
import { expect, superuserToken, test } from './fixtures';

/**
 * The SDK's one-call OAuth2 flow in Chromium: `authWithOAuth2({provider: 'oidc'})` opens a popup on
 * a real OpenID Connect provider (the `oidc-provider` package, configured in Hearth as the generic
 * `oidc` provider from its discovery URL); the user signs in there, the popup lands on
 * /api/oauth2-redirect, which hands the code to the page over realtime `@oauth2` and closes, and the
 * SDK in the page finishes the sign-in. The SDK is served from the app's origin, as in
 * realtime.spec.ts.
 */
const SDK = join(ROOT, 'node_modules/pocketbase/dist/pocketbase.umd.js');
const SDK_URL = '/e2e-sdk/pocketbase.umd.js';

interface BrowserSide {
  PocketBase: typeof PocketBase;
  pb: PocketBase;
  result: Promise<RecordAuthResponse<RecordModel>>;
}

test('authWithOAuth2 signs in through a popup on a local OIDC provider', async ({
  page,
  hearth,
  request,
}) => {
  const oidc = await startOidcProvider({ redirectUris: [`${hearth.url}/api/oauth2-redirect`] });
  try {
    oidc.addAccount({ sub: 'ada', email: 'ada@example.com', emailVerified: true, name: 'Ada' });
    const token = await superuserToken(hearth, request);
    const configured = await request.patch('/api/collections/users', {
      headers: { Authorization: token },
      data: {
        oauth2: {
          enabled: true,
          providers: [
            {
              name: 'oidc',
              clientId: oidc.clientId,
              clientSecret: oidc.clientSecret,
              displayName: 'Local OIDC',
              extra: { discoveryURL: oidc.issuer },
            },
          ],
        },
      },
    });
    expect(configured.status()).toBe(200);

    await page.goto('/');
    await page.route(SDK_URL, (route) => route.fulfill({ path: SDK, contentType: 'text/javascript' }));
    await page.addScriptTag({ url: SDK_URL });
    // A real click starts the flow, as a sign-in button would (popups need a user gesture).
    await page.evaluate(() => {
      const w = window as unknown as BrowserSide;
      w.pb = new w.PocketBase(location.origin);
      const button = document.createElement('button');
      button.id = 'oauth2-e2e';
      button.textContent = 'Sign in with Local OIDC';
      button.addEventListener('click', () => {
        w.result = w.pb.collection('users').authWithOAuth2({ provider: 'oidc' });
        w.result.catch(() => undefined);
      });
      document.body.append(button);
    });

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#oauth2-e2e')]);
    await popup.waitForURL((url) => url.origin === oidc.issuer && url.pathname.startsWith('/interaction/'));
    await popup.locator('input[name="login"]').fill('ada');
    await popup.locator('input[name="password"]').fill('anything');
    const closed = popup.waitForEvent('close');
    await popup.locator('button[type="submit"]').click();
    await closed;

    const signedIn = await page.evaluate(async () => {
      const w = window as unknown as BrowserSide;
      const auth = await w.result;
      return {
        email: auth.record['email'],
        verified: auth.record['verified'],
        isNew: auth.meta?.['isNew'],
        valid: w.pb.authStore.isValid,
      };
    });
    expect(signedIn).toEqual({ email: 'ada@example.com', verified: true, isNew: true, valid: true });
  } finally {
    await oidc.close();
  }
});

test("the sign-in dialog's provider button signs in through the popup", async ({ page, hearth, request }) => {
  const oidc = await startOidcProvider({ redirectUris: [`${hearth.url}/api/oauth2-redirect`] });
  try {
    oidc.addAccount({ sub: 'grace', email: 'grace@example.com', emailVerified: true, name: 'Grace' });
    const token = await superuserToken(hearth, request);
    const configured = await request.patch('/api/collections/users', {
      headers: { Authorization: token },
      data: {
        oauth2: {
          enabled: true,
          providers: [
            {
              name: 'oidc',
              clientId: oidc.clientId,
              clientSecret: oidc.clientSecret,
              displayName: 'Local OIDC',
              extra: { discoveryURL: oidc.issuer },
            },
          ],
        },
      },
    });
    expect(configured.status()).toBe(200);

    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.getByRole('button', { name: 'Sign in with Local OIDC' }).click(),
    ]);
    await popup.waitForURL((url) => url.origin === oidc.issuer && url.pathname.startsWith('/interaction/'));
    await popup.locator('input[name="login"]').fill('grace');
    await popup.locator('input[name="password"]').fill('anything');
    const closed = popup.waitForEvent('close');
    await popup.locator('button[type="submit"]').click();
    await closed;
    await expect(page.getByText('Signed in as grace@example.com')).toBeVisible();
  } finally {
    await oidc.close();
  }
});
