import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Auth tokens as PocketBase makes them: HS256 JWTs (RFC 7519) with `id`, `collectionId`,
 * `type: "auth"`, `refreshable` and `exp`, signed with the collection's secret joined to the record's
 * `tokenKey`. Rotating `tokenKey` (password or email change) therefore invalidates every older token.
 *
 * Signed and checked with node:crypto directly: every authenticated request verifies one, and a
 * general JOSE library (importing the key, checking every header option) cost about 6 % of a list
 * request's time (docs/BENCHMARKS.md). Only HS256 is ever accepted.
 */
export interface AuthTokenClaims {
  id: string;
  collectionId: string;
}

/** `auth` tokens sign a client in; short-lived `file` tokens open protected files (POST /api/files/token). */
export type TokenType = 'auth' | 'file';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function hmac(key: { secret: string; tokenKey: string }, data: string): Buffer {
  return createHmac('sha256', key.secret + key.tokenKey)
    .update(data)
    .digest();
}

export function signAuthToken(
  claims: AuthTokenClaims,
  key: { secret: string; tokenKey: string },
  durationSeconds: number,
  type: TokenType = 'auth',
): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + durationSeconds;
  const payload = Buffer.from(
    JSON.stringify(
      type === 'auth'
        ? { id: claims.id, collectionId: claims.collectionId, type, refreshable: true, exp }
        : { id: claims.id, collectionId: claims.collectionId, type, exp },
    ),
  ).toString('base64url');
  const unsigned = `${HEADER}.${payload}`;
  return Promise.resolve(`${unsigned}.${hmac(key, unsigned).toString('base64url')}`);
}

interface Parsed {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  unsigned: string;
  signature: Buffer;
}

function parse(token: string): Parsed | null {
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 8192) return null;
  // Strict base64url (Node's decoder skips stray characters): one token, one spelling.
  if (!parts.every((p) => BASE64URL.test(p)) || parts[2]!.length !== 43) return null;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) {
      return null;
    }
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      unsigned: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return null;
  }
}

/** The unverified claims, to find the record whose key verifies the token; null if malformed. */
export function peekAuthToken(token: string, type: TokenType = 'auth'): AuthTokenClaims | null {
  const parsed = parse(token);
  if (!parsed || parsed.payload['type'] !== type) return null;
  const { id, collectionId } = parsed.payload;
  return typeof id === 'string' && typeof collectionId === 'string' ? { id, collectionId } : null;
}

/** The expiry (seconds) of an unexpired HS256 auth token signed with this key; null for any other. */
export function verifyAuthToken(
  token: string,
  key: { secret: string; tokenKey: string },
  type: TokenType = 'auth',
): Promise<number | null> {
  const parsed = parse(token);
  if (!parsed || parsed.header['alg'] !== 'HS256' || parsed.payload['type'] !== type) {
    return Promise.resolve(null);
  }
  const expected = hmac(key, parsed.unsigned);
  if (parsed.signature.length !== expected.length || !timingSafeEqual(parsed.signature, expected)) {
    return Promise.resolve(null);
  }
  const exp = parsed.payload['exp'];
  return Promise.resolve(typeof exp === 'number' && exp > Date.now() / 1000 ? exp : null);
}
