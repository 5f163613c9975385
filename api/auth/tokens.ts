import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tokens as PocketBase makes them: HS256 JWTs (RFC 7519) with `id`, `collectionId`, `type`, `exp`
 * (and `refreshable` for auth tokens), signed with the collection's secret for that type joined to
 * the record's `tokenKey`. Rotating `tokenKey` (password or email change) therefore invalidates every
 * older token of every type.
 *
 * Signed and checked with node:crypto directly: every authenticated request verifies one, and a
 * general JOSE library (importing the key, checking every header option) cost about 6 % of a list
 * request's time (docs/BENCHMARKS.md). Only HS256 is ever accepted.
 */

/**
 * What a token is for. `auth` signs a client in; the others are one-purpose: `file` opens protected
 * files, `verification`, `passwordReset` and `emailChange` travel in mails. Each type has its own
 * secret per collection, so a token of one type never passes as another.
 */
export type TokenType = 'auth' | 'file' | 'verification' | 'passwordReset' | 'emailChange';

export interface TokenClaims {
  id: string;
  collectionId: string;
  type: TokenType;
  /** Seconds since the epoch. */
  exp: number;
  /** `auth` tokens: false for impersonation tokens, which auth-refresh refuses. */
  refreshable?: boolean;
  /** `verification`, `passwordReset`, `emailChange`: the address the token was made for. */
  email?: string;
  /** `emailChange`: the address to change to. */
  newEmail?: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function hmac(key: { secret: string; tokenKey: string }, data: string): Buffer {
  return createHmac('sha256', key.secret + key.tokenKey)
    .update(data)
    .digest();
}

export function signToken(
  claims: Omit<TokenClaims, 'exp'>,
  key: { secret: string; tokenKey: string },
  durationSeconds: number,
): string {
  const payload = Buffer.from(
    JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + durationSeconds }),
  ).toString('base64url');
  const unsigned = `${HEADER}.${payload}`;
  return `${unsigned}.${hmac(key, unsigned).toString('base64url')}`;
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

function claimsOf(payload: Record<string, unknown>, type: TokenType): TokenClaims | null {
  const { id, collectionId, exp } = payload;
  if (payload['type'] !== type || typeof id !== 'string' || typeof collectionId !== 'string') return null;
  if (typeof exp !== 'number') return null;
  for (const key of ['email', 'newEmail'] as const) {
    if (payload[key] !== undefined && typeof payload[key] !== 'string') return null;
  }
  return payload as unknown as TokenClaims;
}

/** The unverified claims of a token of `type`, to find the record whose key verifies it; null if malformed. */
export function peekToken(token: string, type: TokenType): TokenClaims | null {
  const parsed = parse(token);
  return parsed ? claimsOf(parsed.payload, type) : null;
}

/** The claims of an unexpired HS256 token of `type` signed with this key; null for any other. */
export function verifyToken(
  token: string,
  key: { secret: string; tokenKey: string },
  type: TokenType,
): TokenClaims | null {
  const parsed = parse(token);
  if (!parsed || parsed.header['alg'] !== 'HS256') return null;
  const claims = claimsOf(parsed.payload, type);
  if (!claims) return null;
  const expected = hmac(key, parsed.unsigned);
  if (parsed.signature.length !== expected.length || !timingSafeEqual(parsed.signature, expected))
    return null;
  return claims.exp > Date.now() / 1000 ? claims : null;
}
