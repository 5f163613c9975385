import { describe, expect, test } from 'vitest';
import { ApiError } from '../core/errors';
import { hashPassword, needsRehash, verifyPassword } from './password';

describe('password hashing', () => {
  test('argon2id with the OWASP profile, verified; anything else refused without throwing', async () => {
    const stored = await hashPassword('correct horse');
    expect(needsRehash(stored)).toBe(false);
    expect(await verifyPassword(stored, 'correct horse')).toBe(true);
    expect(await verifyPassword(stored, 'wrong horse')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
    expect(needsRehash('$2b$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE')).toBe(true);
  });

  test('a flood waits in a bounded line: past its end, 503 at once, and nothing is lost', async () => {
    const flood = Array.from({ length: 260 }, () =>
      hashPassword('x').then(
        () => 'hashed',
        (err: unknown) => (err instanceof ApiError ? err.status : 'other'),
      ),
    );
    const results = await Promise.all(flood);
    // 2 running and 200 waiting got their hash; the rest were refused before any work.
    expect(results.filter((r) => r === 'hashed')).toHaveLength(202);
    expect(results.filter((r) => r === 503)).toHaveLength(58);
    // The line drained: new work runs again.
    expect(needsRehash(await hashPassword('after'))).toBe(false);
  }, 60_000);
});
