import {
  constants,
  createHash,
  createPublicKey,
  randomBytes,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import type { Collection } from '../collections/collection.model';

/**
 * OAuth2 and OpenID Connect providers as PocketBase configures them per auth collection
 * (`oauth2.providers[]`: name, clientId, clientSecret, authURL, tokenURL, userInfoURL, displayName,
 * pkce, extra): the Google preset and the generic `oidc`, `oidc2`, `oidc3`. Hearth adds what
 * PocketBase lacks: an `oidc*` provider whose endpoints come from its discovery document
 * (`extra.discoveryURL`), and ID tokens verified against the provider's JWKS.
 *
 * Every URL here is set by a superuser (collections are superuser-only) and must be https, or http
 * to a loopback address; requests follow no redirects, time out and read at most MAX_BODY bytes.
 */

export interface ProviderConfig {
  name: string;
  clientId: string;
  clientSecret: string;
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  displayName: string;
  /** null: the provider's default (PKCE on for Google and OIDC, as PocketBase). */
  pkce: boolean | null;
  extra: Record<string, unknown>;
}

/** A provider ready to use: endpoints known and checked. */
export interface Provider {
  name: string;
  kind: 'google' | 'oidc';
  displayName: string;
  clientId: string;
  clientSecret: string;
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  /** OIDC: where the ID token's signing keys are; empty when the ID token is not checked. */
  jwksURL: string;
  /** OIDC: the accepted `iss` values of ID tokens. */
  issuers: string[];
  pkce: boolean;
  scopes: string[];
  tokenAuth: 'client_secret_basic' | 'client_secret_post' | 'auto';
}

/** Who the provider says the user is. `emailVerified` tells whether it vouches for `email`. */
export interface ProviderUser {
  id: string;
  name: string;
  username: string;
  email: string;
  emailVerified: boolean;
  avatarURL: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, or undefined. */
  expiry: Date | undefined;
  rawUser: Record<string, unknown>;
}

/** A provider refused or answered something unusable; the message is for the log, not the client. */
export class ProviderError extends Error {
  override name = 'ProviderError';
}

export const PROVIDER_NAMES = ['google', 'oidc', 'oidc2', 'oidc3'] as const;
const TIMEOUT_MS = 10_000;
const MAX_BODY = 1024 * 1024;
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const FAILURE_TTL_MS = 30 * 1000;
const CLOCK_SKEW_S = 60;

const GOOGLE = {
  displayName: 'Google',
  authURL: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenURL: 'https://oauth2.googleapis.com/token',
  userInfoURL: 'https://openidconnect.googleapis.com/v1/userinfo',
  scopes: ['openid', 'email', 'profile'],
};
const OIDC_SCOPES = ['openid', 'email', 'profile'];

// Configuration ---------------------------------------------------------------------------------

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** The collection's provider entries, typed; entries without a known name are left out. */
export function providerConfigs(collection: Collection): ProviderConfig[] {
  const list = collection.auth?.oauth2.providers ?? [];
  const out: ProviderConfig[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const name = text(e['name']);
    if (!(PROVIDER_NAMES as readonly string[]).includes(name)) continue;
    const extra = e['extra'];
    out.push({
      name,
      clientId: text(e['clientId']),
      clientSecret: typeof e['clientSecret'] === 'string' ? e['clientSecret'] : '',
      authURL: text(e['authURL'] ?? e['authUrl']),
      tokenURL: text(e['tokenURL'] ?? e['tokenUrl']),
      userInfoURL: text(e['userInfoURL'] ?? e['userApiUrl']),
      displayName: text(e['displayName']),
      pkce: typeof e['pkce'] === 'boolean' ? e['pkce'] : null,
      extra: typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? { ...extra } : {},
    });
  }
  return out;
}

/** Turns a configuration into a usable provider, discovering OIDC endpoints when asked to. */
export async function resolveProvider(config: ProviderConfig): Promise<Provider> {
  if (!config.clientId) throw new ProviderError(`${config.name}: clientId is empty`);
  const extra = config.extra;
  const scopes = Array.isArray(extra['scopes'])
    ? extra['scopes'].filter((s): s is string => typeof s === 'string' && s !== '')
    : [];
  const tokenAuthOption = text(extra['tokenAuthMethod']);
  const provider: Provider = {
    name: config.name,
    kind: config.name === 'google' ? 'google' : 'oidc',
    displayName: config.displayName,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authURL: config.authURL,
    tokenURL: config.tokenURL,
    userInfoURL: config.userInfoURL,
    jwksURL: text(extra['jwksURL']),
    issuers: Array.isArray(extra['issuers'])
      ? extra['issuers'].filter((s): s is string => typeof s === 'string' && s !== '')
      : [],
    pkce: config.pkce ?? true,
    scopes,
    tokenAuth:
      tokenAuthOption === 'client_secret_basic' || tokenAuthOption === 'client_secret_post'
        ? tokenAuthOption
        : 'auto',
  };
  if (provider.kind === 'google') {
    provider.displayName ||= GOOGLE.displayName;
    provider.authURL ||= GOOGLE.authURL;
    provider.tokenURL ||= GOOGLE.tokenURL;
    provider.userInfoURL ||= GOOGLE.userInfoURL;
    if (provider.scopes.length === 0) provider.scopes = GOOGLE.scopes;
    if (provider.tokenAuth === 'auto') provider.tokenAuth = 'client_secret_post';
  } else {
    provider.displayName ||= 'OIDC';
    if (provider.scopes.length === 0) provider.scopes = OIDC_SCOPES;
    const discoveryURL = text(extra['discoveryURL']);
    if (discoveryURL) {
      const doc = await discover(discoveryURL);
      provider.authURL ||= doc.authURL;
      provider.tokenURL ||= doc.tokenURL;
      provider.userInfoURL ||= doc.userInfoURL;
      provider.jwksURL ||= doc.jwksURL;
      if (provider.issuers.length === 0) provider.issuers = [doc.issuer];
      if (provider.tokenAuth === 'auto' && doc.tokenAuthMethods.length > 0) {
        provider.tokenAuth = doc.tokenAuthMethods.includes('client_secret_basic')
          ? 'client_secret_basic'
          : doc.tokenAuthMethods.includes('client_secret_post')
            ? 'client_secret_post'
            : 'auto';
      }
    }
  }
  if (!provider.authURL || !provider.tokenURL) {
    throw new ProviderError(`${config.name}: authURL and tokenURL (or extra.discoveryURL) are required`);
  }
  if (!provider.userInfoURL && !provider.jwksURL) {
    throw new ProviderError(`${config.name}: userInfoURL or a JWKS (extra.jwksURL, discovery) is required`);
  }
  for (const url of [provider.authURL, provider.tokenURL, provider.userInfoURL, provider.jwksURL]) {
    if (url) checkEndpoint(url);
  }
  return provider;
}

/**
 * Throws unless `raw` is an absolute https URL, or http to a loopback address (a provider on the same
 * machine, as in tests). Credentials in the URL are refused.
 */
export function checkEndpoint(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProviderError(`not a URL: ${raw.slice(0, 200)}`);
  }
  if (url.username || url.password) throw new ProviderError('URLs with credentials are not allowed');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new ProviderError(`${url.origin} must use https (http only to a loopback address)`);
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

// Discovery -------------------------------------------------------------------------------------

interface Discovered {
  issuer: string;
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  jwksURL: string;
  tokenAuthMethods: string[];
}

const discoveries = new Map<string, { until: number; result: Promise<Discovered> }>();

/**
 * The provider's OpenID configuration, from the issuer URL or the document's own URL, cached for an
 * hour (a failure for 30 seconds). Its `issuer` must be the URL it was found under (OIDC Discovery 4.3).
 */
export function discover(discoveryURL: string): Promise<Discovered> {
  const now = Date.now();
  const cached = discoveries.get(discoveryURL);
  if (cached && cached.until > now) return cached.result;
  const result = fetchDiscovery(discoveryURL);
  const entry = { until: now + DISCOVERY_TTL_MS, result };
  if (discoveries.size > 100) discoveries.clear();
  discoveries.set(discoveryURL, entry);
  result.catch(() => {
    entry.until = Date.now() + FAILURE_TTL_MS;
  });
  return result;
}

async function fetchDiscovery(discoveryURL: string): Promise<Discovered> {
  const WELL_KNOWN = '/.well-known/openid-configuration';
  const url = checkEndpoint(discoveryURL);
  const docURL = url.pathname.endsWith(WELL_KNOWN)
    ? url.href
    : `${url.origin}${url.pathname.replace(/\/$/, '')}${WELL_KNOWN}`;
  const expectedIssuer = docURL.slice(0, -WELL_KNOWN.length);
  const doc = await fetchJSON(docURL, { headers: { accept: 'application/json' } });
  const issuer = text(doc['issuer']);
  if (issuer.replace(/\/$/, '') !== expectedIssuer.replace(/\/$/, '')) {
    throw new ProviderError(`discovery: issuer ${issuer} does not match ${expectedIssuer}`);
  }
  const found: Discovered = {
    issuer,
    authURL: text(doc['authorization_endpoint']),
    tokenURL: text(doc['token_endpoint']),
    userInfoURL: text(doc['userinfo_endpoint']),
    jwksURL: text(doc['jwks_uri']),
    tokenAuthMethods: Array.isArray(doc['token_endpoint_auth_methods_supported'])
      ? doc['token_endpoint_auth_methods_supported'].filter((m): m is string => typeof m === 'string')
      : [],
  };
  if (!found.authURL || !found.tokenURL || !found.jwksURL) {
    throw new ProviderError('discovery: authorization_endpoint, token_endpoint and jwks_uri are required');
  }
  return found;
}

// The authorization URL -------------------------------------------------------------------------

export interface AuthStart {
  state: string;
  authURL: string;
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: string;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** PocketBase's security.RandomString: alphanumerics, unbiased. */
export function randomString(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

/**
 * What auth-methods lists for a provider, as PocketBase builds it: a random state, PKCE S256 when
 * enabled, and an authURL ending in an empty `redirect_uri=` the client appends its own to.
 */
export function startAuth(provider: Provider): AuthStart {
  const state = randomString(30);
  const params = new URLSearchParams({
    client_id: provider.clientId,
    response_type: 'code',
    scope: provider.scopes.join(' '),
    state,
  });
  let codeVerifier = '';
  let codeChallenge = '';
  let codeChallengeMethod = '';
  if (provider.pkce) {
    codeVerifier = randomString(43);
    codeChallenge = createHash('sha256').update(codeVerifier).digest('base64url');
    codeChallengeMethod = 'S256';
    params.set('code_challenge', codeChallenge);
    params.set('code_challenge_method', codeChallengeMethod);
  }
  const url = new URL(provider.authURL);
  for (const [k, v] of params) url.searchParams.set(k, v);
  return {
    state,
    authURL: `${url.href}&redirect_uri=`,
    codeVerifier,
    codeChallenge,
    codeChallengeMethod,
  };
}

// The code exchange and the user ----------------------------------------------------------------

interface TokenSet {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  expiry: Date | undefined;
}

/** Exchanges the authorization code at the token endpoint. */
export async function exchangeCode(
  provider: Provider,
  code: string,
  redirectURL: string,
  codeVerifier: string,
): Promise<TokenSet> {
  const attempt = (method: 'client_secret_basic' | 'client_secret_post') => {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectURL });
    if (provider.pkce && codeVerifier) body.set('code_verifier', codeVerifier);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (method === 'client_secret_basic') {
      const id = encodeURIComponent(provider.clientId);
      const secret = encodeURIComponent(provider.clientSecret);
      headers['authorization'] = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    } else {
      body.set('client_id', provider.clientId);
      if (provider.clientSecret) body.set('client_secret', provider.clientSecret);
    }
    return request(provider.tokenURL, { method: 'POST', headers, body: body.toString() });
  };
  let res = await attempt(
    provider.tokenAuth === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
  );
  // Like golang.org/x/oauth2's auto-detection: a provider that refuses Basic gets the secret in the body.
  if (provider.tokenAuth === 'auto' && (res.status === 401 || errorCode(res.json) === 'invalid_client')) {
    res = await attempt('client_secret_post');
  }
  if (res.status !== 200) {
    throw new ProviderError(`token endpoint answered ${res.status} ${errorCode(res.json) ?? ''}`.trim());
  }
  const accessToken = text(res.json['access_token']);
  if (!accessToken) throw new ProviderError('token endpoint answered no access_token');
  const expiresIn = Number(res.json['expires_in']);
  return {
    accessToken,
    refreshToken: text(res.json['refresh_token']),
    idToken: text(res.json['id_token']),
    expiry: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : undefined,
  };
}

/**
 * Who signed in. For OIDC the ID token, when the provider sent one and its keys are known, is
 * verified (signature, iss, aud, azp, exp) and its `sub` is the identity; the userinfo endpoint adds
 * the profile and must name the same `sub`. Without a JWKS the userinfo answer alone counts, as in
 * PocketBase.
 */
export async function fetchUser(provider: Provider, tokens: TokenSet): Promise<ProviderUser> {
  let claims: Record<string, unknown> = {};
  if (provider.kind === 'oidc' && tokens.idToken && provider.jwksURL) {
    claims = await verifyIdToken(provider, tokens.idToken);
  } else if (provider.kind === 'oidc' && !provider.userInfoURL) {
    throw new ProviderError('no ID token and no userinfo endpoint');
  }
  if (provider.userInfoURL) {
    const res = await request(provider.userInfoURL, {
      headers: { accept: 'application/json', authorization: `Bearer ${tokens.accessToken}` },
    });
    if (res.status !== 200) throw new ProviderError(`userinfo endpoint answered ${res.status}`);
    const info = res.json;
    const infoId = text(info['sub'] ?? info['id']);
    if (claims['sub'] !== undefined && infoId !== claims['sub']) {
      throw new ProviderError('userinfo names another subject than the ID token');
    }
    claims = { ...claims, ...info };
  }
  const id = text(claims['sub'] ?? claims['id']);
  if (!id) throw new ProviderError('the provider named no user id');
  const verifiedClaim = claims['email_verified'] ?? claims['verified_email'];
  return {
    id,
    name: text(claims['name']),
    username: text(claims['preferred_username']),
    email: text(claims['email']),
    emailVerified: verifiedClaim === true || verifiedClaim === 'true',
    avatarURL: text(claims['picture']),
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiry: tokens.expiry,
    rawUser: claims,
  };
}

// ID tokens -------------------------------------------------------------------------------------

type Jwk = Record<string, unknown> & { kid?: string; kty?: string; use?: string; alg?: string };
const jwksCache = new Map<string, { until: number; keys: Promise<Jwk[]>; fetchedAt: number }>();

async function signingKeys(url: string, refresh: boolean): Promise<Jwk[]> {
  const now = Date.now();
  const cached = jwksCache.get(url);
  // An unknown kid refetches (key rotation), at most once a minute.
  if (cached && cached.until > now && !(refresh && now - cached.fetchedAt > 60_000)) return cached.keys;
  const keys = fetchJSON(url, { headers: { accept: 'application/json' } }).then((doc) =>
    Array.isArray(doc['keys'])
      ? (doc['keys'] as Jwk[]).filter((k) => typeof k === 'object' && k !== null)
      : [],
  );
  const entry = { until: now + DISCOVERY_TTL_MS, keys, fetchedAt: now };
  if (jwksCache.size > 100) jwksCache.clear();
  jwksCache.set(url, entry);
  keys.catch(() => {
    entry.until = Date.now() + FAILURE_TTL_MS;
  });
  return keys;
}

const ALGORITHMS: Record<string, { hash: string | null; kty: string; pss?: boolean }> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC' },
  ES384: { hash: 'sha384', kty: 'EC' },
  ES512: { hash: 'sha512', kty: 'EC' },
  EdDSA: { hash: null, kty: 'OKP' },
};

function decodePart(part: string | undefined): Record<string, unknown> {
  if (!part) throw new ProviderError('malformed ID token');
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new ProviderError('malformed ID token');
  }
}

/** Verifies an ID token (OIDC Core 3.1.3.7) and answers its claims. No `none`, no HMAC. */
export async function verifyIdToken(provider: Provider, idToken: string): Promise<Record<string, unknown>> {
  const parts = idToken.split('.');
  if (parts.length !== 3) throw new ProviderError('malformed ID token');
  const header = decodePart(parts[0]);
  const claims = decodePart(parts[1]);
  const alg = typeof header['alg'] === 'string' ? header['alg'] : '';
  const spec = ALGORITHMS[alg];
  if (!spec) throw new ProviderError(`ID token algorithm ${alg || 'none'} is not accepted`);
  const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
  const pick = (keys: Jwk[]) =>
    keys.filter(
      (k) =>
        k.kty === spec.kty &&
        (k.use === undefined || k.use === 'sig') &&
        (k.alg === undefined || k.alg === alg) &&
        (kid === undefined || k.kid === kid),
    );
  let candidates = pick(await signingKeys(provider.jwksURL, false));
  if (candidates.length === 0) candidates = pick(await signingKeys(provider.jwksURL, true));
  if (candidates.length === 0) throw new ProviderError('no key in the JWKS matches the ID token');
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2]!, 'base64url');
  const verified = candidates.some((jwk) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      return false;
    }
    const options = spec.pss
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : spec.kty === 'EC'
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key;
    try {
      return verify(spec.hash, data, options, signature);
    } catch {
      return false;
    }
  });
  if (!verified) throw new ProviderError('the ID token signature is invalid');

  const now = Math.floor(Date.now() / 1000);
  const iss = claims['iss'];
  if (typeof iss !== 'string' || !provider.issuers.includes(iss)) {
    throw new ProviderError(`the ID token issuer ${String(iss)} is not accepted`);
  }
  const aud = claims['aud'];
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(provider.clientId)) throw new ProviderError('the ID token is for another client');
  if (audiences.length > 1 && claims['azp'] !== provider.clientId) {
    throw new ProviderError('the ID token was issued to another party');
  }
  const exp = claims['exp'];
  if (typeof exp !== 'number' || exp + CLOCK_SKEW_S < now)
    throw new ProviderError('the ID token has expired');
  const iat = claims['iat'];
  if (typeof iat === 'number' && iat - CLOCK_SKEW_S > now)
    throw new ProviderError('the ID token is from the future');
  if (typeof claims['sub'] !== 'string' || claims['sub'] === '')
    throw new ProviderError('the ID token has no sub');
  return claims;
}

// HTTP ------------------------------------------------------------------------------------------

function errorCode(json: Record<string, unknown>): string | undefined {
  return typeof json['error'] === 'string' ? json['error'].slice(0, 100) : undefined;
}

/** One request to a provider: no redirects, a timeout, at most MAX_BODY bytes of JSON read. */
async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; json: Record<string, unknown> }> {
  checkEndpoint(url);
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new ProviderError(`${new URL(url).origin}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let raw: string;
  try {
    raw = await readLimited(res);
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    throw new ProviderError(`${new URL(url).origin}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      json = parsed as Record<string, unknown>;
    }
  } catch {
    // Not JSON: the status tells.
  }
  return { status: res.status, json };
}

async function fetchJSON(
  url: string,
  init: { headers?: Record<string, string> },
): Promise<Record<string, unknown>> {
  const res = await request(url, init);
  if (res.status !== 200) throw new ProviderError(`${new URL(url).origin} answered ${res.status}`);
  return res.json;
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      throw new ProviderError('the provider answered too much');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
