import { createHash, randomBytes } from 'node:crypto';
import i18next from 'i18next';
import { findField, type Collection } from '../collections/collection.model';
import { ApiError, type ErrorData } from '../core/errors';
import {
  readJsonBody,
  requestHeader,
  skipSuccessLog,
  SUPERUSERS,
  type ApiApp,
  type ApiContext,
} from '../core/http';
import { quoteIdent } from '../lib/sql';
import { formatDateTime } from '../lib/time';
import type { Deps } from '../main';
import { requestLanguage } from '../mail';
import { sendToClient } from '../realtime';
import { validateValue } from '../records/record.values';
import { exportRecord } from '../records/records.export';
import { recordRequest } from '../records/records.request';
import type { RecordEvent } from '../records/records.service';
import { findRow, statement, updateRow, type Row } from '../records/records.store';
import { DEFAULT_LANGUAGE } from '../../web/lib/i18n/languages';
import { authCollection, checkAuthRule } from './auth.http';
import {
  assertLinkable,
  findLinked,
  link,
  signUpWithIdentity,
  unlinkOthers,
  type Identity,
} from './identities';
import {
  exchangeCode,
  fetchUser,
  providerConfigs,
  ProviderError,
  resolveProvider,
  startAuth,
  type Provider,
  type ProviderUser,
} from './oauth2.providers';
import { hashPassword } from './password';
import { issueToken, type AuthRow } from './record-tokens';
import { newTokenKey } from './superusers.store';

/**
 * PocketBase's OAuth2 sign-in (apis/record_auth_with_oauth2.go, record_auth_with_oauth2_redirect.go):
 * the providers auth-methods lists, `POST /api/collections/{c}/auth-with-oauth2`, and
 * `GET|POST /api/oauth2-redirect`, which hands the provider's answer to the SDK's popup flow over the
 * realtime `@oauth2` topic (the `state` is the waiting realtime client's id).
 *
 * Accounts: a linked identity signs its account in; a signed-in caller links the identity to itself;
 * otherwise an account with the provider's email is linked only when the provider says it verified
 * that email (refused with 400 when not: no silent takeover of someone else's account); otherwise a
 * new account is signed up, with the email only when verified. Superusers never use OAuth2.
 */
export const OAUTH2_TOPIC = '@oauth2';

export function registerOAuth2(app: ApiApp, deps: Deps): void {
  app.post('/api/collections/:collection/auth-with-oauth2', async (c) => {
    const collection = authCollection(deps, c);
    if (collection.id === SUPERUSERS.id) {
      throw ApiError.forbidden('Superusers cannot authenticate with OAuth2.');
    }
    if (!collection.auth?.oauth2.enabled) {
      throw ApiError.forbidden('The collection is not configured to allow OAuth2 authentication.');
    }
    const form = readForm(collection, await readJsonBody(c));
    let provider: Provider;
    try {
      provider = await resolveProvider(form.config);
    } catch (err) {
      deps.logger.warn({ err, provider: form.config.name }, 'OAuth2 provider setup failed');
      throw ApiError.badRequest(`Failed to init provider ${form.config.name}.`);
    }
    if (provider.pkce && !form.codeVerifier) {
      throw invalid({ codeVerifier: required() });
    }
    let tokens: Awaited<ReturnType<typeof exchangeCode>>;
    try {
      tokens = await exchangeCode(provider, form.code, form.redirectURL, form.codeVerifier);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      deps.logger.info({ err: err.message, provider: provider.name }, 'OAuth2 code exchange failed');
      throw ApiError.badRequest('Failed to fetch OAuth2 token.');
    }
    let user: ProviderUser;
    try {
      user = await fetchUser(provider, tokens);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      deps.logger.info({ err: err.message, provider: provider.name }, 'OAuth2 user check failed');
      throw ApiError.badRequest('Failed to fetch OAuth2 user.');
    }

    const { row, isNew } = await findOrCreateAccount(deps, c, collection, provider, user, form.createData);
    checkAuthRule(deps, c, collection, row);
    const token = issueToken(deps, collection, row, 'auth');
    const request = recordRequest(c, deps.collections);
    request.info.auth = { collection, record: row };
    return c.json({
      token,
      record: exportRecord(collection, row, request),
      meta: {
        id: user.id,
        name: user.name,
        username: user.username,
        email: user.emailVerified ? user.email : '',
        avatarURL: user.avatarURL,
        accessToken: user.accessToken,
        refreshToken: user.refreshToken,
        expiry: user.expiry ? formatDateTime(user.expiry) : '',
        isNew,
        rawUser: user.rawUser,
      },
    });
  });

  const redirect = async (c: ApiContext) => {
    const data = await readRedirect(c);
    const page = (ok: boolean) => redirectPage(c, ok);
    if (!data || !data.state) return page(false);
    const message: Record<string, string> = { state: data.state, code: data.code };
    if (data.error) message['error'] = data.error;
    if (!sendToClient(deps, data.state, OAUTH2_TOPIC, message)) return page(false);
    return page(!data.error && data.code !== '');
  };
  // As PocketBase: the provider's code and state are in this URL; only failures are logged.
  app.get('/api/oauth2-redirect', skipSuccessLog, redirect);
  app.post('/api/oauth2-redirect', skipSuccessLog, redirect);
}

/**
 * auth-methods' `oauth2`: every enabled provider with a fresh state, PKCE pair and authURL. A provider
 * that cannot be set up (bad configuration, discovery unreachable) is left out and logged, as in
 * PocketBase. Superusers get none.
 */
export async function oauth2Methods(
  deps: Deps,
  collection: Collection,
): Promise<{ enabled: boolean; providers: Record<string, string>[] }> {
  if (collection.id === SUPERUSERS.id || !collection.auth?.oauth2.enabled) {
    return { enabled: false, providers: [] };
  }
  const resolved = await Promise.all(
    providerConfigs(collection).map((config) =>
      resolveProvider(config).catch((err: unknown) => {
        deps.logger.warn({ err: String(err), provider: config.name }, 'OAuth2 provider setup failed');
        return null;
      }),
    ),
  );
  const providers = resolved
    .filter((p): p is Provider => p !== null)
    .map((provider) => {
      const start = startAuth(provider);
      return {
        name: provider.name,
        displayName: provider.displayName,
        state: start.state,
        authURL: start.authURL,
        // PocketBase before 0.23 named it authUrl; older SDKs read that.
        authUrl: start.authURL,
        codeVerifier: start.codeVerifier,
        codeChallenge: start.codeChallenge,
        codeChallengeMethod: start.codeChallengeMethod,
      };
    });
  return { enabled: true, providers };
}

// auth-with-oauth2 ------------------------------------------------------------------------------

interface OAuth2Form {
  config: ReturnType<typeof providerConfigs>[number];
  code: string;
  codeVerifier: string;
  redirectURL: string;
  createData: Record<string, unknown>;
}

function invalid(data: ErrorData): ApiError {
  return ApiError.badRequest('An error occurred while loading the submitted data.', data);
}

function required() {
  return { code: 'validation_required', message: 'Cannot be blank.' };
}

function readForm(collection: Collection, body: Record<string, unknown>): OAuth2Form {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const name = str(body['provider']);
  const code = str(body['code']);
  const codeVerifier = str(body['codeVerifier']);
  const redirectURL = str(body['redirectURL']) || str(body['redirectUrl']);
  const createData = body['createData'];
  const errors: ErrorData = {};
  const config = providerConfigs(collection).find((p) => p.name === name);
  if (!name) errors['provider'] = required();
  else if (!config) {
    errors['provider'] = {
      code: 'validation_invalid_provider',
      message: `Provider with name ${JSON.stringify(name.slice(0, 50))} is missing or is not enabled.`,
    };
  }
  if (!code) errors['code'] = required();
  else if (code.length > 4096) errors['code'] = { code: 'validation_length_too_long', message: 'Too long.' };
  if (codeVerifier.length > 255) {
    errors['codeVerifier'] = { code: 'validation_length_too_long', message: 'Too long.' };
  }
  if (!redirectURL) errors['redirectURL'] = required();
  else if (redirectURL.length > 2048) {
    errors['redirectURL'] = { code: 'validation_length_too_long', message: 'Too long.' };
  }
  if (
    createData !== undefined &&
    createData !== null &&
    (typeof createData !== 'object' || Array.isArray(createData))
  ) {
    errors['createData'] = { code: 'validation_invalid_value', message: 'Must be an object.' };
  }
  if (Object.keys(errors).length > 0 || !config) throw invalid(errors);
  return {
    config,
    code,
    codeVerifier,
    redirectURL,
    createData: { ...((createData as Record<string, unknown> | null | undefined) ?? {}) },
  };
}

function sameEmail(a: string, b: string): boolean {
  return a !== '' && a.toLowerCase() === b.toLowerCase();
}

function findByEmail(deps: Deps, collection: Collection, email: string): AuthRow | undefined {
  return statement(
    deps.db,
    `SELECT * FROM ${quoteIdent(collection.name)} WHERE email = ? COLLATE NOCASE LIMIT 1`,
  ).get(email) as AuthRow | undefined;
}

/** Writes account changes and publishes RecordUpdate, as the other account flows do. */
function saveAccount(deps: Deps, collection: Collection, id: string, changes: Row): AuthRow {
  const next: Row = { ...changes };
  if (findField(collection, 'updated')) next['updated'] = formatDateTime(new Date());
  updateRow(deps.db, collection, id, next);
  const saved = findRow(deps.db, collection, id)!;
  const event: RecordEvent = { collectionId: collection.id, collectionName: collection.name, row: saved };
  deps.bus.publish('RecordUpdate', event);
  return saved as AuthRow;
}

async function findOrCreateAccount(
  deps: Deps,
  c: ApiContext,
  collection: Collection,
  provider: Provider,
  user: ProviderUser,
  createData: Record<string, unknown>,
): Promise<{ row: AuthRow; isNew: boolean }> {
  const identity: Identity = { provider: provider.name, providerId: user.id };
  const verifiedEmail = user.emailVerified ? user.email : '';
  /** The provider vouches for the account's own address: it counts as verified. */
  const verifies = (row: AuthRow) => !row['verified'] && sameEmail(verifiedEmail, row.email);

  const linked = findLinked(deps, collection, identity);
  if (linked) {
    const row = verifies(linked)
      ? deps.db.transaction(() => saveAccount(deps, collection, linked.id, { verified: 1 }))
      : linked;
    return { row, isNew: false };
  }

  // A signed-in account of this collection links the identity to itself (the account page).
  const auth = c.get('auth');
  const current = auth?.collectionId === collection.id ? findRow(deps.db, collection, auth.id) : undefined;
  if (current) {
    const row = current as AuthRow;
    assertLinkable(row);
    return {
      row: deps.db.transaction(() => {
        link(deps, collection, row.id, identity);
        return verifies(row) ? saveAccount(deps, collection, row.id, { verified: 1 }) : row;
      }),
      isNew: false,
    };
  }

  const existing = user.email ? findByEmail(deps, collection, user.email) : undefined;
  if (existing) {
    if (!user.emailVerified) {
      throw ApiError.badRequest(
        `An account with this email address exists, but ${provider.displayName} has not verified the address. ` +
          `Sign in to the account another way and link ${provider.displayName} from it.`,
      );
    }
    // The provider proved the address. If the account never did, whoever signed it up may not own the
    // address (PocketBase's guard): its password is replaced and its sessions end.
    const changes: Row = {};
    if (!existing['verified']) {
      changes['verified'] = 1;
      changes['password'] = await hashPassword(randomBytes(24).toString('base64url'));
      changes['tokenKey'] = newTokenKey();
    }
    const row = deps.db.transaction(() => {
      // Links made while the address was unproven belong to whoever signed the account up.
      if (!existing['verified']) unlinkOthers(deps, collection, existing.id);
      link(deps, collection, existing.id, identity);
      return Object.keys(changes).length > 0 ? saveAccount(deps, collection, existing.id, changes) : existing;
    });
    return { row, isNew: false };
  }

  const emailField = findField(collection, 'email');
  if (!verifiedEmail && emailField && 'required' in emailField && emailField.required) {
    throw ApiError.badRequest(
      `${provider.displayName} did not share a verified email address, which this app needs to create an account.`,
    );
  }
  const data: Record<string, unknown> = { ...createData, email: verifiedEmail };
  delete data['verified'];
  mapFields(deps, collection, user, data);
  const row = await signUpWithIdentity(deps, c, collection, identity, data, {
    verified: verifiedEmail !== '',
  });
  return { row, isNew: true };
}

/** PocketBase's mappedFields: provider values for fields the client did not send itself. */
function mapFields(
  deps: Deps,
  collection: Collection,
  user: ProviderUser,
  data: Record<string, unknown>,
): void {
  const mapped = collection.auth!.oauth2.mappedFields;
  const assign = (fieldName: string | undefined, value: string, check?: () => boolean) => {
    if (!fieldName || fieldName in data || value === '') return;
    const field = findField(collection, fieldName);
    if (!field || field.type === 'file' || field.type === 'password') return;
    if (check && !check()) return;
    data[fieldName] = value;
  };
  assign(mapped['id'], user.id);
  assign(mapped['name'], user.name);
  // A username only when the field takes it and nobody has it (PocketBase's oldCanAssignUsername).
  assign(mapped['username'], user.username, () => {
    const field = findField(collection, mapped['username']!)!;
    if (field.type !== 'text' || validateValue(field, user.username) !== null) return false;
    return (
      statement(
        deps.db,
        `SELECT 1 FROM ${quoteIdent(collection.name)} WHERE ${quoteIdent(field.name)} = ? LIMIT 1`,
        true,
      ).get(user.username) === undefined
    );
  });
  // Hearth does not download avatars (a server-side fetch of a URL the provider names): a URL or text
  // field gets the URL, a file field nothing.
  assign(mapped['avatarURL'], user.avatarURL);
}

// The redirect ----------------------------------------------------------------------------------

interface RedirectData {
  state: string;
  code: string;
  error: string;
}

async function readRedirect(c: ApiContext): Promise<RedirectData | null> {
  let source: Record<string, unknown>;
  if (c.req.method === 'POST') {
    const type = requestHeader(c, 'content-type') ?? '';
    try {
      if (type.includes('application/x-www-form-urlencoded')) source = await c.req.parseBody();
      else if (type.includes('json')) source = await readJsonBody(c);
      else return null;
    } catch {
      return null;
    }
  } else {
    source = c.req.query();
  }
  const field = (key: string, max: number) => {
    const v = source[key];
    return typeof v === 'string' ? v.slice(0, max) : '';
  };
  return { state: field('state', 255), code: field('code', 4096), error: field('error', 255) };
}

// The page the popup lands on: "you can close this window", in the user's language, closing itself.

const files = import.meta.glob<Record<string, unknown>>('/locales/*/oauth2.json', {
  eager: true,
  import: 'default',
});
const resources: Record<string, { oauth2: Record<string, unknown> }> = {};
for (const [path, content] of Object.entries(files)) {
  const lng = /\/locales\/([^/]+)\/oauth2\.json$/.exec(path)?.[1];
  if (lng) resources[lng] = { oauth2: content };
}
const i18n = i18next.createInstance();
void i18n.init({
  resources,
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  ns: ['oauth2'],
  defaultNS: 'oauth2',
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
});

const SCRIPT = 'window.close();';
const STYLE =
  'body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;padding:1rem}' +
  'main{max-width:28rem;text-align:center;line-height:1.5}';
const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
const PAGE_CSP = [
  "default-src 'none'",
  `style-src ${hash(STYLE)}`,
  `script-src ${hash(SCRIPT)}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function redirectPage(c: ApiContext, ok: boolean): Response {
  const lang = requestLanguage(c);
  const t = i18n.getFixedT(lang);
  const message = t(ok ? 'redirect.success' : 'redirect.failure');
  const html =
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(t('redirect.title'))}</title><style>${STYLE}</style></head>` +
    `<body><main><p>${escapeHtml(message)}</p></main><script>${SCRIPT}</script></body></html>`;
  return c.html(html, ok ? 200 : 400, {
    'content-security-policy': PAGE_CSP,
    // The URL carries the authorization code: it must not leak to anything the page loads.
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
}
