import { SignJWT, decodeJwt, jwtVerify } from 'jose';

/**
 * Auth tokens as PocketBase makes them: HS256 JWTs with `id`, `collectionId`, `type: "auth"`,
 * `refreshable` and `exp`, signed with the collection's secret joined to the record's `tokenKey`.
 * Rotating `tokenKey` (password or email change) therefore invalidates every older token.
 */
export interface AuthTokenClaims {
  id: string;
  collectionId: string;
}

const enc = new TextEncoder();

export function signAuthToken(
  claims: AuthTokenClaims,
  key: { secret: string; tokenKey: string },
  durationSeconds: number,
): Promise<string> {
  return new SignJWT({ id: claims.id, collectionId: claims.collectionId, type: 'auth', refreshable: true })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + durationSeconds)
    .sign(enc.encode(key.secret + key.tokenKey));
}

/** The unverified claims, to find the record whose key verifies the token; null if malformed. */
export function peekAuthToken(token: string): AuthTokenClaims | null {
  try {
    const payload = decodeJwt(token);
    if (payload['type'] !== 'auth') return null;
    const { id, collectionId } = payload as Record<string, unknown>;
    return typeof id === 'string' && typeof collectionId === 'string' ? { id, collectionId } : null;
  } catch {
    return null;
  }
}

/** True only for an unexpired HS256 auth token signed with this key. */
export async function verifyAuthToken(
  token: string,
  key: { secret: string; tokenKey: string },
): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, enc.encode(key.secret + key.tokenKey), {
      algorithms: ['HS256'],
    });
    return payload['type'] === 'auth';
  } catch {
    return false;
  }
}
