import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import { hash, verify, type Options } from '@node-rs/argon2';

/**
 * argon2id with OWASP's first recommended profile (19 MiB, 2 iterations, 1 lane):
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 * Hashing runs on libuv's thread pool, off the event loop. Accounts imported from PocketBase keep
 * their bcrypt hashes: those still verify, and are replaced by argon2id at the next sign-in
 * (needsRehash).
 */
// Algorithm is an ambient const enum, which isolated modules cannot read: 2 is its Argon2id.
const PARAMS: Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** False for a wrong password and for a hash it does not know (never throws on bad input). */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    if (stored.startsWith('$argon2')) return await verify(stored, password);
    if (BCRYPT.test(stored)) {
      // bcrypt reads at most 72 bytes: a longer password never matches, but takes as long to refuse.
      const tooLong = Buffer.byteLength(password) > 72;
      return (await verifyBcrypt(tooLong ? password.slice(0, 72) : password, stored)) && !tooLong;
    }
    return false;
  } catch {
    return false;
  }
}

/** Whether a stored hash is not (yet) Hearth's argon2id with the current parameters. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$');
}
