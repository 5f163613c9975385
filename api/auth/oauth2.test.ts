import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkEndpoint, discover, ProviderError, verifyIdToken, type Provider } from './oauth2.providers';

// The provider plumbing the SDK suite (tests/sdk/oauth2.test.ts) cannot reach with a well-behaved
// provider: forged, foreign and expired ID tokens, endpoint URLs a superuser must not be able to
// point Hearth at, and a discovery document claiming another issuer.

let server: Server;
let base: string;
const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
const evil = generateKeyPairSync('rsa', { modulusLength: 2048 });
let discovery: Record<string, unknown> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/jwks') {
      const jwk = { ...good.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };
      res.end(JSON.stringify({ keys: [jwk] }));
    } else if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify(discovery));
    } else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function provider(): Provider {
  return {
    name: 'oidc',
    kind: 'oidc',
    displayName: 'OIDC',
    clientId: 'client-1',
    clientSecret: 'secret',
    authURL: `${base}/auth`,
    tokenURL: `${base}/token`,
    userInfoURL: '',
    jwksURL: `${base}/jwks`,
    issuers: [base],
    pkce: true,
    scopes: ['openid'],
    tokenAuth: 'auto',
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function jwt(claims: Record<string, unknown>, options: { key?: KeyObject; header?: object } = {}): string {
  const header = b64(options.header ?? { alg: 'RS256', kid: 'k1', typ: 'JWT' });
  const body = b64(claims);
  const signature = sign('sha256', Buffer.from(`${header}.${body}`), options.key ?? good.privateKey);
  return `${header}.${body}.${signature.toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: base,
  aud: 'client-1',
  sub: 'user-1',
  iat: now(),
  exp: now() + 300,
  ...extra,
});

describe('verifyIdToken', () => {
  test('accepts a token signed by a key of the JWKS, for this client, from this issuer', async () => {
    expect(await verifyIdToken(provider(), jwt(claims()))).toMatchObject({ sub: 'user-1' });
  });

  test.each([
    ['another key', () => jwt(claims(), { key: evil.privateKey })],
    ['another audience', () => jwt(claims({ aud: 'client-2' }))],
    ['several audiences without azp', () => jwt(claims({ aud: ['client-1', 'client-2'] }))],
    ['another issuer', () => jwt(claims({ iss: 'https://evil.example' }))],
    ['an expired token', () => jwt(claims({ exp: now() - 3600 }))],
    ['no subject', () => jwt(claims({ sub: '' }))],
    ['alg none', () => `${b64({ alg: 'none' })}.${b64(claims())}.`],
    ['HMAC', () => `${b64({ alg: 'HS256', kid: 'k1' })}.${b64(claims())}.AAAA`],
    [
      'a tampered payload',
      () => {
        const [h, , sig] = jwt(claims()).split('.');
        return `${h}.${b64(claims({ sub: 'admin' }))}.${sig}`;
      },
    ],
    ['garbage', () => 'not.a.jwt'],
  ])('refuses %s', async (_name, token) => {
    await expect(verifyIdToken(provider(), token())).rejects.toBeInstanceOf(ProviderError);
  });
});

describe('checkEndpoint', () => {
  test.each([
    'https://accounts.example.com/auth',
    'http://127.0.0.1:8080/x',
    'http://localhost/x',
    'http://[::1]:9/x',
  ])('allows %s', (url) => expect(() => checkEndpoint(url)).not.toThrow());
  test.each([
    'http://example.com/auth',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.1/x',
    'file:///etc/passwd',
    'https://user:pass@example.com/',
    'not a url',
  ])('refuses %s', (url) => expect(() => checkEndpoint(url)).toThrow(ProviderError));
});

describe('discover', () => {
  test('refuses a document that names another issuer', async () => {
    discovery = {
      issuer: 'https://evil.example',
      authorization_endpoint: `${base}/auth`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/jwks`,
    };
    await expect(discover(`${base}/`)).rejects.toThrow(/issuer/);
  });
});
