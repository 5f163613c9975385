import { createHash } from 'node:crypto';
import { EventSource } from 'eventsource';
import type { AuthProviderInfo, RecordAuthResponse, RecordModel } from 'pocketbase';
import type PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startOidcProvider, type OidcProvider } from '../support/oidc-provider';
import { failure, PASSWORD, startSdkServer, unique, type SdkServer } from './server';

// PocketBase's OAuth2 flow against a real OpenID Connect provider (the `oidc-provider` package) set
// up as Hearth's generic `oidc` provider from its discovery URL: auth-methods with PKCE, the code
// exchange with ID token verification, the SDK's one-call popup flow over /api/oauth2-redirect and
// the realtime `@oauth2` topic, linked identities in `_externalAuths`, and the account-link rules
// (QUALITY.md "OAuth2": missing state, wrong PKCE verifier, unverified email matching an account).

(globalThis as { EventSource?: unknown }).EventSource = EventSource;

let s: SdkServer;
let oidc: OidcProvider;
let redirectURL: string;

beforeAll(async () => {
  s = await startSdkServer();
  redirectURL = `${s.url}/api/oauth2-redirect`;
  oidc = await startOidcProvider({ redirectUris: [redirectURL] });
  await s.admin.settings.update({ rateLimits: { enabled: false } });
  await s.admin.collections.update('users', {
    oauth2: {
      enabled: true,
      mappedFields: { name: 'name' },
      providers: [
        {
          name: 'oidc',
          clientId: oidc.clientId,
          clientSecret: oidc.clientSecret,
          displayName: 'Test OIDC',
          extra: { discoveryURL: oidc.issuer },
        },
        {
          // Endpoints spelled out, no discovery and so no ID token check: the userinfo answer counts.
          name: 'oidc2',
          clientId: oidc.clientId,
          clientSecret: oidc.clientSecret,
          authURL: `${oidc.issuer}/auth`,
          tokenURL: `${oidc.issuer}/token`,
          userInfoURL: `${oidc.issuer}/me`,
        },
        {
          // Plain http to a host that is not loopback: never contacted, left out of auth-methods.
          name: 'oidc3',
          clientId: 'x',
          clientSecret: 'y',
          extra: { discoveryURL: 'http://example.com' },
        },
      ],
    },
  });
});
afterAll(async () => {
  await s?.close();
  await oidc?.close();
});

function account(options: { verified?: boolean; email?: string } = {}) {
  const sub = unique('sub');
  const email = options.email ?? `${sub.toLowerCase()}@example.com`;
  oidc.addAccount({ sub, email, emailVerified: options.verified ?? true, name: `Name ${sub}` });
  return { sub, email };
}

async function provider(pb: PocketBase, name = 'oidc'): Promise<AuthProviderInfo> {
  const methods = await pb.collection('users').listAuthMethods();
  const found = methods.oauth2.providers.find((p) => p.name === name);
  if (!found) throw new Error(`auth-methods lists no ${name}`);
  return found;
}

/** The browser's part: the provider's login, back to the redirect URL; answers the code. */
async function authorize(info: AuthProviderInfo, sub: string): Promise<string> {
  const landed = await oidc.login(info.authURL + encodeURIComponent(redirectURL), sub);
  expect(landed.origin + landed.pathname).toBe(redirectURL);
  expect(landed.searchParams.get('state')).toBe(info.state);
  return landed.searchParams.get('code')!;
}

/** The whole flow with the code form of the SDK (authWithOAuth2Code). */
async function signIn(
  sub: string,
  pb = s.newClient(),
  name = 'oidc',
): Promise<RecordAuthResponse<RecordModel>> {
  const info = await provider(pb, name);
  const code = await authorize(info, sub);
  return pb.collection('users').authWithOAuth2Code(name, code, info.codeVerifier, redirectURL);
}

async function identitiesOf(recordId: string): Promise<RecordModel[]> {
  return s.admin.collection('_externalAuths').getFullList({ filter: `recordRef = "${recordId}"` });
}

describe('auth-methods', () => {
  test('lists the configured providers with a state, PKCE and an authURL awaiting redirect_uri', async () => {
    const methods = await s.newClient().collection('users').listAuthMethods();
    expect(methods.oauth2.enabled).toBe(true);
    expect(methods.oauth2.providers.map((p) => p.name).sort()).toEqual(['oidc', 'oidc2']);
    const info = methods.oauth2.providers.find((p) => p.name === 'oidc')!;
    expect(info.displayName).toBe('Test OIDC');
    expect(info.state).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(info.codeVerifier).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(info.codeChallenge).toBe(createHash('sha256').update(info.codeVerifier).digest('base64url'));
    expect(info.codeChallengeMethod).toBe('S256');
    expect(info.authURL.endsWith('&redirect_uri=')).toBe(true);
    const url = new URL(info.authURL);
    expect(url.origin + url.pathname).toBe(`${oidc.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: oidc.clientId,
      response_type: 'code',
      scope: 'openid email profile',
      state: info.state,
      code_challenge: info.codeChallenge,
      code_challenge_method: 'S256',
      redirect_uri: '',
    });
    // Each call gets its own state and verifier; the secret is never listed.
    const again = await provider(s.newClient());
    expect(again.state).not.toBe(info.state);
    expect(JSON.stringify(methods)).not.toContain(oidc.clientSecret);
  });

  test('superusers have no OAuth2', async () => {
    const methods = await s.newClient().collection('_superusers').listAuthMethods();
    expect(methods.oauth2).toEqual({ enabled: false, providers: [] });
  });
});

describe('auth-with-oauth2', () => {
  test('signs a new user up, then signs the same record in', async () => {
    const { sub, email } = account();
    const first = await signIn(sub);
    expect(first.token).toBeTruthy();
    expect(first.record['email']).toBe(email);
    expect(first.record['verified']).toBe(true);
    expect(first.record['name']).toBe(`Name ${sub}`);
    expect(first.meta).toMatchObject({ id: sub, email, name: `Name ${sub}`, isNew: true });
    expect(first.meta?.['accessToken']).toBeTruthy();
    expect(first.meta?.['rawUser']).toMatchObject({ sub, email, email_verified: true });

    const second = await signIn(sub);
    expect(second.record.id).toBe(first.record.id);
    expect(second.meta?.['isNew']).toBe(false);

    // The token works like any other.
    const refreshed = await s.newClient(second.token).collection('users').authRefresh();
    expect(refreshed.record.id).toBe(first.record.id);
  });

  test('works with explicit endpoints and no discovery (userinfo only)', async () => {
    const { sub, email } = account();
    const auth = await signIn(sub, s.newClient(), 'oidc2');
    expect(auth.record['email']).toBe(email);
    // Another provider name is another identity, on the same account (verified email).
    const viaOidc = await signIn(sub);
    expect(viaOidc.record.id).toBe(auth.record.id);
    expect((await identitiesOf(auth.record.id)).map((i) => i['provider']).sort()).toEqual(['oidc', 'oidc2']);
  });

  test('the identity is in _externalAuths, listable and removable by its owner only', async () => {
    const { sub } = account();
    const auth = await signIn(sub);
    const owner = s.newClient(auth.token);
    const mine = await owner.collection('_externalAuths').getFullList();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ provider: 'oidc', providerId: sub, recordRef: auth.record.id });

    const other = await s.signUp();
    expect(await other.client.collection('_externalAuths').getFullList()).toHaveLength(0);
    expect((await failure(other.client.collection('_externalAuths').delete(mine[0]!.id))).status).toBe(404);

    await owner.collection('_externalAuths').delete(mine[0]!.id);
    expect(await identitiesOf(auth.record.id)).toHaveLength(0);
  });

  test('an unverified provider email matching an account is refused, and nothing is linked', async () => {
    const victim = await s.signUp();
    const email = (await victim.client.collection('users').getOne(victim.record.id))['email'] as string;
    const { sub } = account({ email, verified: false });
    const err = await failure(signIn(sub));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/has not verified/);
    expect(await identitiesOf(victim.record.id)).toHaveLength(0);
    // The account and its session are untouched.
    expect((await victim.client.collection('users').authRefresh()).record.id).toBe(victim.record.id);
  });

  test('an unverified provider email without an account is not taken over by the new account', async () => {
    // As PocketBase: the address is left out (users' email is optional), so whoever owns it can
    // still sign up with it later; the new account is not verified.
    const { sub, email } = account({ verified: false });
    const auth = await signIn(sub);
    expect(auth.record['verified']).toBe(false);
    expect(auth.meta?.['email']).toBe('');
    const self = await s.newClient(auth.token).collection('users').getOne(auth.record.id);
    expect(self['email']).toBe('');
    const found = await s.admin.collection('users').getFullList({ filter: `email = "${email}"` });
    expect(found).toHaveLength(0);
  });

  test('a verified provider email links the existing account and ends sessions of an unverified one', async () => {
    const existing = await s.signUp();
    const email = (await existing.client.collection('users').getOne(existing.record.id))['email'] as string;
    const { sub } = account({ email, verified: true });
    const auth = await signIn(sub);
    expect(auth.record.id).toBe(existing.record.id);
    expect(auth.record['verified']).toBe(true);
    expect(auth.meta?.['isNew']).toBe(false);
    expect(await identitiesOf(existing.record.id)).toHaveLength(1);
    // Whoever signed the account up without proving the address loses it: password and sessions.
    expect((await failure(existing.client.collection('users').authRefresh())).status).toBe(401);
    expect((await failure(s.newClient().collection('users').authWithPassword(email, PASSWORD))).status).toBe(
      400,
    );
  });

  test('a signed-in user links a provider to their own account', async () => {
    const user = await s.signUp();
    const { sub } = account({ email: `${unique('other')}@example.com` });
    // Not while the account's email is unproven: whoever signed it up may not own the address.
    expect((await failure(signIn(sub, s.newClient(user.token)))).status).toBe(403);
    expect(await identitiesOf(user.record.id)).toHaveLength(0);
    await s.admin.collection('users').update(user.record.id, { verified: true });
    const auth = await signIn(sub, s.newClient(user.token));
    expect(auth.record.id).toBe(user.record.id);
    expect(await identitiesOf(user.record.id)).toHaveLength(1);
    // From now on the provider signs into that account.
    expect((await signIn(sub)).record.id).toBe(user.record.id);
  });

  test('a bad code, a wrong PKCE verifier and missing fields are 400', async () => {
    const pb = s.newClient();
    const info = await provider(pb);
    const bad = await failure(
      pb.collection('users').authWithOAuth2Code('oidc', 'nope', info.codeVerifier, redirectURL),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toBe('Failed to fetch OAuth2 token.');

    const { sub } = account();
    const code = await authorize(info, sub);
    const other = await provider(pb);
    const wrong = await failure(
      pb.collection('users').authWithOAuth2Code('oidc', code, other.codeVerifier, redirectURL),
    );
    expect(wrong.status).toBe(400);
    // The code was not spent on the wrong verifier's account: nobody was signed up.
    expect(
      await s.admin.collection('_externalAuths').getFullList({ filter: `providerId = "${sub}"` }),
    ).toHaveLength(0);

    const missing = await failure(
      pb.send('/api/collections/users/auth-with-oauth2', { method: 'POST', body: {} }),
    );
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.response['data'] as object).sort()).toEqual([
      'code',
      'provider',
      'redirectURL',
    ]);
    const unknown = await failure(pb.collection('users').authWithOAuth2Code('github', 'x', 'y', redirectURL));
    expect((unknown.response['data'] as Record<string, { code: string }>)['provider']?.code).toBe(
      'validation_invalid_provider',
    );
    const insecure = await failure(pb.collection('users').authWithOAuth2Code('oidc3', 'x', 'y', redirectURL));
    expect(insecure.status).toBe(400);
  });

  test('superusers cannot use OAuth2', async () => {
    const err = await failure(
      s.newClient().collection('_superusers').authWithOAuth2Code('oidc', 'x', 'y', redirectURL),
    );
    expect(err.status).toBe(403);
  });

  test('the authRule applies', async () => {
    const { sub } = account();
    await signIn(sub);
    await s.admin.collections.update('users', { authRule: 'verified = false' });
    try {
      expect((await failure(signIn(sub))).status).toBe(403);
    } finally {
      await s.admin.collections.update('users', { authRule: '' });
    }
  });
});

describe('the popup flow (authWithOAuth2 over /api/oauth2-redirect and realtime)', () => {
  test('the SDK waits on @oauth2, the redirect hands it the code, and it signs in', async () => {
    const { sub, email } = account();
    const pb = s.newClient();
    let page: Response | undefined;
    const auth = await pb.collection('users').authWithOAuth2({
      provider: 'oidc',
      urlCallback: async (url) => {
        const landed = await oidc.login(url, sub);
        page = await fetch(landed);
      },
    });
    expect(auth.record['email']).toBe(email);
    expect(pb.authStore.isValid).toBe(true);
    expect(page!.status).toBe(200);
    expect(page!.headers.get('content-type')).toContain('text/html');
    expect(page!.headers.get('content-security-policy')).toContain("script-src 'sha256-");
    expect(page!.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page!.text()).toContain('You can close this window');
  });

  test('the page speaks German when asked to', async () => {
    const res = await fetch(`${redirectURL}?state=nobody&code=x`, { headers: { 'accept-language': 'de' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Du kannst dieses Fenster schließen');
  });

  test('a redirect without state, or for no waiting client, delivers nothing', async () => {
    expect((await fetch(`${redirectURL}?code=x`)).status).toBe(400);
    expect((await fetch(`${redirectURL}?state=unknown&code=x`)).status).toBe(400);
    const posted = await fetch(redirectURL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=x',
    });
    expect(posted.status).toBe(400);
  });

  test("the provider's error reaches the SDK, which rejects", async () => {
    const pb = s.newClient();
    const err = await failure(
      pb.collection('users').authWithOAuth2({
        provider: 'oidc',
        urlCallback: async (url) => {
          const state = new URL(url).searchParams.get('state')!;
          await fetch(`${redirectURL}?state=${encodeURIComponent(state)}&error=access_denied`);
        },
      }),
    );
    expect(String((err.originalError as Error | undefined)?.message)).toContain('access_denied');
    expect(pb.authStore.isValid).toBe(false);
  });
});
