import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import { hash, verify, type Options } from '@node-rs/argon2';
import { ApiError } from '../core/errors';

/**
 * argon2id with OWASP's first recommended profile (19 MiB, 2 iterations, 1 lane):
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 * Hashing runs on libuv's thread pool, off the event loop. Accounts imported from PocketBase keep
 * their bcrypt hashes: those still verify, and are replaced by argon2id at the next sign-in
 * (needsRehash).
 */
// Algorithm is an ambient const enum, which isolated modules cannot read: 2 is its Argon2id.
const PARAMS: Options = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Hashes run a few at a time, the rest wait in a bounded line: each holds 19 MiB and a thread of
 * libuv's pool (which file reads share), so a flood of sign-ups or sign-ins from anywhere queues
 * instead of starving everything else, and past the line's end answers 503 at once.
 */
const RUNNING_MAX = 2;
const WAITING_MAX = 200;
let running = 0;
const waiting: (() => void)[] = [];

async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running < RUNNING_MAX) running++;
  else if (waiting.length >= WAITING_MAX) {
    throw new ApiError(503, 'Too many sign-ins at once, please retry in a moment.', {
      headers: { 'retry-after': '1' },
    });
  } else await new Promise<void>((resolve) => waiting.push(resolve)); // handed a slot on release
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return inTurn(() => hash(password, PARAMS));
}

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/** False for a wrong password and for a hash it does not know (bad input never throws; a full line is 503). */
export function verifyPassword(stored: string, password: string): Promise<boolean> {
  return inTurn(async () => {
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
  });
}

/** Whether a stored hash is not (yet) Hearth's argon2id with the current parameters. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$');
}
