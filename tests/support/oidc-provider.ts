import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error -- oidc-provider ships no type declarations; the little used here is typed below.
import OidcProvider from 'oidc-provider';

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1 and a random port, for
 * the OAuth2 tests: one confidential client, an account store the test fills, and the package's
 * development login page, which takes any login name as the account id (no password check). Consent
 * is granted automatically, so after the login the browser goes straight back to the client.
 */

export interface OidcAccount {
  /** The `sub` and the login name typed into the login page. */
  sub: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  preferredUsername?: string;
}

export interface OidcProvider {
  /** The issuer, e.g. `http://127.0.0.1:41234`; its discovery document is under /.well-known/. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Adds or replaces an account. */
  addAccount(account: OidcAccount): void;
  /**
   * Acts as the browser: opens `authURL`, signs in as `sub` on the login page and follows the
   * redirects until they leave the provider; answers that URL (the client's redirect_uri with
   * `code` and `state`) without opening it.
   */
  login(authURL: string, sub: string): Promise<URL>;
  close(): Promise<void>;
}

interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
interface KoaContext {
  oidc: {
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    provider: {
      Grant: { new (init: { clientId: string; accountId: string }): Grant; find(id: string): Promise<Grant> };
    };
  };
}
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export async function startOidcProvider(options: { redirectUris: string[] }): Promise<OidcProvider> {
  // The issuer names the port, so the server listens before the provider exists.
  const route: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = createServer((req, res) => {
    if (route.handler) route.handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'hearth-test';
  const clientSecret = 'hearth-test-secret-0123456789abcdef';
  const accounts = new Map<string, OidcAccount>();

  const Provider = OidcProvider as ProviderConstructor;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    cookies: { keys: ['hearth-oidc-test-cookie-key'] },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub) ?? { sub };
      return {
        accountId: sub,
        claims: () => ({
          sub,
          ...(account.email !== undefined
            ? { email: account.email, email_verified: account.emailVerified === true }
            : {}),
          ...(account.name !== undefined ? { name: account.name } : {}),
          ...(account.preferredUsername !== undefined
            ? { preferred_username: account.preferredUsername }
            : {}),
        }),
      };
    },
    // Consent without a consent page: a grant of what was asked for.
    async loadExistingGrant(ctx: KoaContext) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({
        clientId: oidc.client.clientId,
        accountId: oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username']);
      await grant.save();
      return grant;
    },
  });
  route.handler = provider.callback();

  const login = async (authURL: string, sub: string): Promise<URL> => {
    const jar = new Map<string, string>();
    let url = new URL(authURL);
    let init: { method: string; body?: string } = { method: 'GET' };
    for (let hop = 0; hop < 20; hop++) {
      if (url.origin !== issuer) return url;
      const headers: Record<string, string> = {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      };
      if (init.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      for (const cookie of res.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const eq = pair.indexOf('=');
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url);
        init = { method: 'GET' };
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
      if (res.status !== 200 || !action || !prompt) {
        throw new Error(`the OIDC provider answered ${res.status} at ${url.pathname}: ${html.slice(0, 500)}`);
      }
      url = new URL(action.replaceAll('&amp;', '&'), url);
      const form = new URLSearchParams({ prompt });
      if (prompt === 'login') {
        form.set('login', sub);
        form.set('password', 'any');
      }
      init = { method: 'POST', body: form.toString() };
    }
    throw new Error('the OIDC provider redirected too often');
  };

  return {
    issuer,
    clientId,
    clientSecret,
    addAccount: (account: OidcAccount) => {
      accounts.set(account.sub, account);
    },
    login,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
