import type { SiweMessage } from 'siwe';
import type { Collection } from '../collections/collection.model';
import { ApiError, fieldError } from '../core/errors';
import { readJsonBody, SUPERUSERS, type ApiApp, type ApiContext } from '../core/http';
import type { Deps } from '../main';
import { findRow } from '../records/records.store';
import { authCollection, authResponse, checkAuthRule } from './auth.http';
import { assertLinkable, findLinked, link, signUpWithIdentity, type Identity } from './identities';
import type { AuthRow } from './record-tokens';
import { NonceStore } from './siwe.nonces';

/**
 * Sign-In with Ethereum (EIP-4361), verified with the `siwe` library (EOA signatures, EIP-191):
 * `GET /api/hearth/siwe/nonce` → `{nonce}`, then `POST /api/collections/{c}/auth-with-siwe
 * {message, signature}` → `{token, record}`. The account is the one linked to the checksummed
 * address in `_externalAuths` (provider `siwe`); the first sign-in of an address signs a new account
 * up through the create path, so the collection's createRule applies. Every refusal of a message or
 * signature is PocketBase's 400 "Failed to authenticate." with `data.message` or `data.signature`
 * saying why.
 */

export const SIWE_PROVIDER = 'siwe';
/** How long a nonce may wait for its sign-in; also bounds how old a signed message may be. */
export const NONCE_TTL_MS = 5 * 60_000;
/** Tolerated difference between the wallet's clock and ours for `Issued At`. */
export const CLOCK_SKEW_MS = 60_000;
/** Longer messages are not parsed (a real one is a few hundred characters, resources included). */
const MESSAGE_MAX = 16_384;

/** Host names that all mean this machine: with the default domain `localhost`, any of them will do. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

// siwe and ethers take a quarter second to load: only the first wallet sign-in pays it, not startup.
let libraries: Promise<[typeof import('siwe'), typeof import('ethers')]> | undefined;
function load(): Promise<[typeof import('siwe'), typeof import('ethers')]> {
  return (libraries ??= Promise.all([import('siwe'), import('ethers')]));
}

function refused(field: 'message' | 'signature', code: string, text: string): ApiError {
  return ApiError.badRequest('Failed to authenticate.', fieldError(field, code, text));
}

/** An RFC 3986 authority (`host` or `host:port`, no user info) as a URL of `scheme`, or null. */
function authorityUrl(authority: string, scheme = 'https:'): URL | null {
  if (authority === '' || /[/?#@\\\s]/.test(authority)) return null;
  try {
    return new URL(`${scheme}//${authority}`);
  } catch {
    return null;
  }
}

/**
 * Whether a message's `domain` names this server: its host must be the configured domain (`--domain`,
 * any port), or a loopback name when that is `localhost`. Not the request's Host header: the client
 * chooses that, so a site that got a signature for itself could replay it here under its own name.
 */
export function isOwnDomain(domain: string, configured: string): boolean {
  const url = authorityUrl(domain);
  if (!url) return false;
  const want = configured.toLowerCase();
  return url.hostname === want || (LOOPBACK.has(want) && LOOPBACK.has(url.hostname));
}

/** Whether the `URI` is an http(s) URI of the same authority as `domain` (the origin signing in). */
export function isUriOfDomain(uri: string, domain: string, scheme: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (scheme !== undefined && `${scheme.toLowerCase()}:` !== url.protocol) return false;
  if (url.username !== '' || url.password !== '') return false;
  return authorityUrl(domain, url.protocol)?.host === url.host;
}

function time(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? Number.NaN : ms;
}

/**
 * The checks on a parsed message other than its signature. `nonceIssued` is when the message's nonce
 * was issued, or undefined when it is not one of ours (unknown, used or expired).
 */
export function checkMessage(
  message: SiweMessage,
  context: { domain: string; now: number; nonceIssued: number | undefined; chainIds: number[] },
): void {
  const { now, nonceIssued } = context;
  if (nonceIssued === undefined) {
    throw refused(
      'message',
      'validation_siwe_nonce',
      'The nonce is unknown, used or expired; get a new one from /api/hearth/siwe/nonce',
    );
  }
  if (!isOwnDomain(message.domain, context.domain)) {
    throw refused('message', 'validation_siwe_domain', `The message must be for ${context.domain}`);
  }
  if (!isUriOfDomain(message.uri, message.domain, message.scheme)) {
    throw refused('message', 'validation_siwe_uri', 'The URI must be an http(s) URI of the domain');
  }
  if (!context.chainIds.includes(message.chainId)) {
    throw refused(
      'message',
      'validation_siwe_chain',
      `The message must be for chain ${context.chainIds.join(' or ')}`,
    );
  }
  const issuedAt = time(message.issuedAt);
  const expires = time(message.expirationTime);
  const notBefore = time(message.notBefore);
  if (issuedAt === undefined || [issuedAt, expires, notBefore].some((t) => Number.isNaN(t))) {
    throw refused('message', 'validation_invalid_siwe_message', 'Invalid times in the message');
  }
  if (issuedAt > now + CLOCK_SKEW_MS) {
    throw refused('message', 'validation_siwe_not_yet_valid', 'The message is issued in the future');
  }
  if (notBefore !== undefined && notBefore > now) {
    throw refused('message', 'validation_siwe_not_yet_valid', 'The message is not valid yet');
  }
  if (expires !== undefined && expires <= now) {
    throw refused('message', 'validation_siwe_expired', 'The message has expired');
  }
  // A message written before its nonce existed was not written for this sign-in.
  if (issuedAt < nonceIssued - CLOCK_SKEW_MS) {
    throw refused('message', 'validation_siwe_expired', 'The message was issued before its nonce');
  }
}

/** `0x1234…abcd`: a name for a new account, if the collection has a plain text `name` field. */
function initialData(collection: Collection, address: string): Record<string, unknown> {
  const short = `${address.slice(0, 6)}…${address.slice(-4)}`;
  const name = collection.fields.find((f) => f.name === 'name');
  if (
    name?.type === 'text' &&
    name.pattern === '' &&
    name.min <= short.length &&
    (name.max === 0 || name.max >= short.length)
  ) {
    return { name: short };
  }
  return {};
}

/**
 * The account an address signs in to: the one it is linked to; else, when the request is signed in
 * to this collection, that account (the address is linked to it, as PocketBase's OAuth2 links a
 * provider to the signed-in record); else a new account.
 */
async function accountFor(
  deps: Deps,
  c: ApiContext,
  collection: Collection,
  identity: Identity,
): Promise<AuthRow> {
  const linked = findLinked(deps, collection, identity);
  if (linked) return linked;
  const auth = c.get('auth');
  if (auth && auth.collectionId === collection.id) {
    assertLinkable(findRow(deps.db, collection, auth.id) ?? {});
    try {
      deps.db.transaction(() => link(deps, collection, auth.id, identity));
    } catch (err) {
      const winner = findLinked(deps, collection, identity);
      if (!winner) throw err;
      return winner;
    }
    return findRow(deps.db, collection, auth.id) as AuthRow;
  }
  return signUpWithIdentity(deps, c, collection, identity, initialData(collection, identity.providerId), {
    verified: false,
  });
}

export function registerSiwe(app: ApiApp, deps: Deps): void {
  const nonces = new NonceStore(NONCE_TTL_MS);

  app.get('/api/hearth/siwe/nonce', (c) => {
    c.header('Cache-Control', 'no-store');
    // The chain the message should name (siwe.chainIds), so clients need not guess it.
    return c.json({ nonce: nonces.issue(), chainId: deps.settings.get('siwe.chainIds')[0] });
  });

  app.post('/api/collections/:collection/auth-with-siwe', async (c) => {
    const collection = authCollection(deps, c);
    if (collection.id === SUPERUSERS.id) {
      throw ApiError.forbidden('The collection is not configured to allow Sign-In with Ethereum.');
    }
    const { message, signature } = await readJsonBody(c);
    const data = {
      ...(typeof message !== 'string' || message === ''
        ? fieldError('message', 'validation_required', 'Cannot be blank')
        : {}),
      ...(typeof signature !== 'string' || signature === ''
        ? fieldError('signature', 'validation_required', 'Cannot be blank')
        : {}),
    };
    if (Object.keys(data).length > 0) throw ApiError.badRequest('Failed to authenticate.', data);

    const [{ SiweMessage }, { getAddress, Signature }] = await load();
    let parsed: SiweMessage;
    try {
      if ((message as string).length > MESSAGE_MAX) throw new Error('too long');
      parsed = new SiweMessage(message as string);
    } catch {
      throw refused('message', 'validation_invalid_siwe_message', 'Not an EIP-4361 message');
    }
    // The nonce is used up by this attempt whatever its outcome, before anything else can fail.
    const nonceIssued = nonces.consume(parsed.nonce);
    // The library verifies the signature over the message as it writes it: only that form is taken,
    // so what was signed is exactly what was parsed.
    if (parsed.prepareMessage() !== message) {
      throw refused(
        'message',
        'validation_invalid_siwe_message',
        'Not an EIP-4361 message in its exact form',
      );
    }
    const now = Date.now();
    checkMessage(parsed, {
      domain: deps.config.domain,
      now,
      nonceIssued,
      chainIds: deps.settings.get('siwe.chainIds'),
    });

    try {
      Signature.from(signature as string);
    } catch {
      throw refused('signature', 'validation_invalid_signature', 'Not an Ethereum signature');
    }
    const verified = await parsed.verify(
      { signature: signature as string, nonce: parsed.nonce, time: new Date(now).toISOString() },
      { suppressExceptions: true },
    );
    if (!verified.success) {
      throw refused(
        'signature',
        'validation_invalid_signature',
        'The signature is not by the address of the message',
      );
    }

    const identity = { provider: SIWE_PROVIDER, providerId: getAddress(parsed.address) };
    const row = await accountFor(deps, c, collection, identity);
    checkAuthRule(deps, c, collection, row);
    return authResponse(deps, c, collection, row);
  });
}
