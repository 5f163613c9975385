import { SqliteError } from 'better-sqlite3';
import { randomInt } from 'node:crypto';
import { findField, type Collection, type PasswordField } from '../collections/collection.model';
import { ApiError, type ErrorData } from '../core/errors';
import { readJsonBody, requestHeader, SUPERUSERS, type ApiApp, type ApiContext } from '../core/http';
import { newRecordId } from '../lib/id';
import { quoteIdent } from '../lib/sql';
import { formatDateTime } from '../lib/time';
import type { Deps } from '../main';
import { requestLanguage, sendAuthMail, type AuthMailKind } from '../mail';
import { isEmail, validateValue } from '../records/record.values';
import type { RecordEvent } from '../records/records.service';
import { deleteRow, findRow, insertRow, statement, updateRow, type Row } from '../records/records.store';
import { authCollection, authResponse, checkAuthRule } from './auth.http';
import { oauth2Methods } from './oauth2';
import { hashPassword, verifyPassword } from './password';
import { issueToken, verifyRecordToken, type AuthRow } from './record-tokens';
import { unlinkOthers } from './identities';
import { newTokenKey } from './superusers.store';

/**
 * PocketBase's account flows under /api/collections/{authCollection}/: auth-methods, email
 * verification, password reset, email change, one-time passwords and impersonation. Requests that
 * name an email answer the same whether or not an account has it, and their mail goes out in the
 * background, so neither the answer nor its timing tells who has an account.
 */
export function registerAccounts(app: ApiApp, deps: Deps): void {
  const base = '/api/collections/:collection';
  /** Mails recently sent per record and kind, so a client cannot make Hearth flood an inbox. */
  const recentlySent = new ExpiringSet();
  /** Failed OTP attempts per record (PocketBase: 5 per 3 minutes), against guessing the digits. */
  const otpAttempts = new ExpiringCounter();

  app.get(`${base}/auth-methods`, async (c) => {
    const collection = authCollection(deps, c);
    const auth = collection.auth!;
    const oauth2 = await oauth2Methods(deps, collection);
    const password = {
      enabled: auth.passwordAuth.enabled,
      identityFields: auth.passwordAuth.enabled ? auth.passwordAuth.identityFields : [],
    };
    return c.json({
      password,
      oauth2,
      mfa: { enabled: auth.mfa.enabled, duration: auth.mfa.enabled ? auth.mfa.duration : 0 },
      otp: { enabled: auth.otp.enabled, duration: auth.otp.enabled ? auth.otp.duration : 0 },
      // PocketBase's fields from before 0.23, which older SDKs read.
      authProviders: oauth2.providers,
      usernamePassword: password.enabled && password.identityFields.includes('username'),
      emailPassword: password.enabled && password.identityFields.includes('email'),
    });
  });

  // Verification ----------------------------------------------------------------------------

  app.post(`${base}/request-verification`, async (c) => {
    const collection = authCollection(deps, c);
    const email = readEmail(await readJsonBody(c), 'email');
    const row = findByEmail(deps, collection, email);
    if (row && !row['verified'] && recentlySent.add(`verification/${collection.id}/${row.id}`, 120_000)) {
      const token = issueToken(deps, collection, row, 'verification', { email: row.email });
      mailInBackground(deps, c, 'verification', row.email, { collectionName: collection.name, token });
    }
    return c.body(null, 204);
  });

  app.post(`${base}/confirm-verification`, async (c) => {
    const collection = authCollection(deps, c);
    if (collection.id === SUPERUSERS.id) throw ApiError.badRequest('All superusers are verified by default.');
    const found = readToken(deps, await readJsonBody(c), collection, 'verification');
    if (!found.claims.email || found.claims.email !== found.row.email) {
      throw invalid({
        token: {
          code: 'validation_token_email_mismatch',
          message: "The record email doesn't match with the requested token claims.",
        },
      });
    }
    if (!found.row['verified']) claimByEmail(deps, collection, found.row.id);
    return c.body(null, 204);
  });

  // Password reset --------------------------------------------------------------------------

  app.post(`${base}/request-password-reset`, async (c) => {
    const collection = authCollection(deps, c);
    if (!collection.auth!.passwordAuth.enabled) {
      throw ApiError.badRequest('The collection is not configured to allow password authentication.');
    }
    const email = readEmail(await readJsonBody(c), 'email');
    const row = findByEmail(deps, collection, email);
    if (row && recentlySent.add(`passwordReset/${collection.id}/${row.id}`, 120_000)) {
      const token = issueToken(deps, collection, row, 'passwordReset', { email: row.email });
      mailInBackground(deps, c, 'password-reset', row.email, { collectionName: collection.name, token });
    }
    return c.body(null, 204);
  });

  app.post(`${base}/confirm-password-reset`, async (c) => {
    const collection = authCollection(deps, c);
    const body = await readJsonBody(c);
    const errors = passwordErrors(collection, body);
    let found: ReturnType<typeof readToken> | undefined;
    try {
      found = readToken(deps, body, collection, 'passwordReset');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      Object.assign(errors, err.data);
    }
    if (!found || Object.keys(errors).length > 0) throw invalid(errors);
    const hash = await hashPassword(String(body['password']));
    const changes: Row = { password: hash };
    // The mail reached the address the record still has: that proves it, as PocketBase counts it.
    if (!found.row['verified'] && found.claims.email === found.row.email) changes['verified'] = 1;
    if (changes['verified']) {
      deps.db.transaction(() => {
        unlinkOthers(deps, collection, found.row.id);
        saveAuth(deps, collection, found.row.id, changes);
      });
    } else saveAuth(deps, collection, found.row.id, changes);
    recentlySent.delete(`passwordReset/${collection.id}/${found.row.id}`);
    return c.body(null, 204);
  });

  // Email change ----------------------------------------------------------------------------

  app.post(`${base}/request-email-change`, async (c) => {
    const collection = authCollection(deps, c);
    if (collection.id === SUPERUSERS.id)
      throw ApiError.badRequest('All superusers can change their emails directly.');
    const auth = c.get('auth');
    if (!auth || auth.collectionId !== collection.id) {
      throw ApiError.unauthorized('The request requires valid auth record.');
    }
    const newEmail = readEmail(await readJsonBody(c), 'newEmail');
    if (newEmail.toLowerCase() === auth.email.toLowerCase()) {
      throw invalid({ newEmail: { code: 'validation_not_in_invalid', message: 'Must be a valid value.' } });
    }
    const owner = findByEmail(deps, collection, newEmail);
    if (owner && owner.id !== auth.id) {
      throw invalid({
        newEmail: { code: 'validation_invalid_new_email', message: 'Invalid new email address.' },
      });
    }
    const row = auth.row as AuthRow;
    const token = issueToken(deps, collection, row, 'emailChange', { email: row.email, newEmail });
    try {
      await sendAuthMail(deps, 'email-change', newEmail, {
        collectionName: collection.name,
        token,
        lang: requestLanguage(c),
      });
    } catch (err) {
      throw ApiError.badRequest('Failed to request email change.', undefined, err);
    }
    return c.body(null, 204);
  });

  app.post(`${base}/confirm-email-change`, async (c) => {
    const collection = authCollection(deps, c);
    if (collection.id === SUPERUSERS.id)
      throw ApiError.badRequest('All superusers can change their emails directly.');
    const body = await readJsonBody(c);
    const found = readToken(deps, body, collection, 'emailChange');
    const newEmail = found.claims.newEmail ?? '';
    if (!newEmail) {
      throw invalid({
        token: {
          code: 'validation_invalid_token_payload',
          message: 'Invalid token payload - newEmail must be set.',
        },
      });
    }
    const owner = findByEmail(deps, collection, newEmail);
    if (owner && owner.id !== found.row.id) {
      throw invalid({
        token: { code: 'validation_invalid_token_email', message: 'The new email address is invalid.' },
      });
    }
    const password = body['password'];
    if (
      typeof password !== 'string' ||
      password === '' ||
      !(await verifyPassword(found.row.password, password))
    ) {
      throw invalid({
        password: {
          code: 'validation_invalid_password',
          message: 'Missing or invalid auth record password.',
        },
      });
    }
    try {
      saveAuth(deps, collection, found.row.id, { email: newEmail, verified: 1 });
    } catch (err) {
      // Someone took the address since the check above (the unique email index refused it).
      if (err instanceof SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) {
        throw invalid({
          token: { code: 'validation_invalid_token_email', message: 'The new email address is invalid.' },
        });
      }
      throw err;
    }
    return c.body(null, 204);
  });

  // One-time passwords ----------------------------------------------------------------------

  app.post(`${base}/request-otp`, async (c) => {
    const collection = authCollection(deps, c);
    const options = collection.auth!.otp;
    if (!options.enabled) {
      throw ApiError.forbidden('The collection is not configured to allow OTP authentication.');
    }
    const email = readEmail(await readJsonBody(c), 'email');
    // The code is hashed (the slow part) whether or not the address has an account, so the answer
    // takes as long either way.
    const code = Array.from({ length: options.length }, () => String(randomInt(10))).join('');
    const hash = await hashPassword(code);
    const row = findByEmail(deps, collection, email);
    // An unknown address gets an id like any other, which simply never works.
    if (!row) return c.json({ otpId: newRecordId() });
    const otps = otpCollection(deps);
    deleteExpiredOtps(deps, otps, collection);
    const recent = statement(
      deps.db,
      `SELECT id FROM _otps WHERE collectionRef = ? AND recordRef = ? ORDER BY created DESC`,
      true,
    ).all(collection.id, row.id) as string[];
    // At most 10 live codes per account: past that, an id like any other that never works (and no
    // mail), as an unknown address gets.
    if (recent.length >= 10) return c.json({ otpId: newRecordId() });
    const now = formatDateTime(new Date());
    const id = newRecordId();
    deps.db.transaction(() =>
      insertRow(deps.db, otps, {
        id,
        collectionRef: collection.id,
        recordRef: row.id,
        password: hash,
        sentTo: row.email,
        created: now,
        updated: now,
      }),
    );
    mailInBackground(deps, c, 'otp', row.email, { collectionName: collection.name, otp: code }, () =>
      deps.db.transaction(() => deleteRow(deps.db, otps, id)),
    );
    return c.json({ otpId: id });
  });

  app.post(`${base}/auth-with-otp`, async (c) => {
    const collection = authCollection(deps, c);
    const options = collection.auth!.otp;
    if (!options.enabled) {
      throw ApiError.forbidden('The collection is not configured to allow OTP authentication.');
    }
    const body = await readJsonBody(c);
    const errors: ErrorData = {};
    const otpId = body['otpId'];
    const password = body['password'];
    if (typeof otpId !== 'string' || otpId === '' || otpId.length > 255) errors['otpId'] = required();
    if (typeof password !== 'string' || password === '' || password.length > 71)
      errors['password'] = required();
    if (Object.keys(errors).length > 0) throw invalid(errors);
    // Five tries per code, counted by the id the client sends — real or not, so the answers never
    // tell whether an id belongs to an account — after which the code is gone.
    const tries = otpAttempts.add(`${collection.id}/${otpId as string}`, options.duration * 1000);
    if (tries > 5) throw new ApiError(429, 'Too many attempts, please try again later with a new OTP.');
    const denied = ApiError.badRequest('Invalid or expired OTP.');
    const otps = otpCollection(deps);
    const otp = findRow(deps.db, otps, otpId as string);
    if (!otp || otp['collectionRef'] !== collection.id) throw denied;
    if (Date.parse(String(otp['created'])) + options.duration * 1000 < Date.now()) throw denied;
    const row = findRow(deps.db, collection, String(otp['recordRef'])) as AuthRow | undefined;
    if (!row) throw denied;
    if (!(await verifyPassword(String(otp['password']), password as string))) {
      if (tries === 5) deps.db.transaction(() => deleteRow(deps.db, otps, otpId as string));
      throw denied;
    }
    deps.db.transaction(() => deleteRow(deps.db, otps, otpId as string));
    const current = (
      !row['verified'] && otp['sentTo'] === row.email ? claimByEmail(deps, collection, row.id) : row
    ) as AuthRow;
    checkAuthRule(deps, c, collection, current);
    return authResponse(deps, c, collection, current);
  });

  // Hearth's own: end every session of the signed-in account (the one making the request too) by
  // rotating its tokenKey, which also voids mailed tokens. PocketBase has no such endpoint.
  app.post('/api/hearth/sign-out-everywhere', (c) => {
    const auth = c.get('auth');
    const collection = auth && deps.collections.find(auth.collectionId);
    if (!auth || !collection)
      throw ApiError.unauthorized('The request requires valid record authorization token.');
    saveAuth(deps, collection, auth.id, { tokenKey: newTokenKey() });
    return c.body(null, 204);
  });

  // Impersonation ---------------------------------------------------------------------------

  app.post(`${base}/impersonate/:id`, async (c) => {
    if (c.get('auth')?.collectionId !== SUPERUSERS.id) throw ApiError.forbidden();
    const collection = authCollection(deps, c);
    const row = findRow(deps.db, collection, c.req.param('id')) as AuthRow | undefined;
    if (!row) throw ApiError.notFound();
    const body = requestHeader(c, 'content-type')?.includes('json') ? await readJsonBody(c) : {};
    const duration = body['duration'] ?? 0;
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 0) {
      throw invalid({
        duration: { code: 'validation_min_greater_equal_than_required', message: 'Must be no less than 0.' },
      });
    }
    // A token that auth-refresh will not renew, for the collection's duration unless given.
    return authResponse(deps, c, collection, row, {
      extra: { refreshable: false },
      durationSeconds: duration > 0 ? duration : collection.auth!.authToken.duration,
    });
  });
}

// Helpers ---------------------------------------------------------------------------------------

function invalid(data: ErrorData): ApiError {
  return ApiError.badRequest('An error occurred while validating the submitted data.', data);
}

function required() {
  return { code: 'validation_required', message: 'Cannot be blank.' };
}

function readEmail(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.trim() === '') throw invalid({ [key]: required() });
  if (value.length > 255 || !isEmail(value.trim())) {
    throw invalid({ [key]: { code: 'validation_is_email', message: 'Must be a valid email address.' } });
  }
  return value.trim();
}

function findByEmail(deps: Deps, collection: Collection, email: string): AuthRow | undefined {
  return statement(
    deps.db,
    `SELECT * FROM ${quoteIdent(collection.name)} WHERE email = ? COLLATE NOCASE LIMIT 1`,
  ).get(email) as AuthRow | undefined;
}

/** The token in `body.token`, of `type`, for a record of `collection`; PocketBase's 400 otherwise. */
function readToken(
  deps: Deps,
  body: Record<string, unknown>,
  collection: Collection,
  type: 'verification' | 'passwordReset' | 'emailChange',
): NonNullable<ReturnType<typeof verifyRecordToken>> {
  const token = body['token'];
  if (typeof token !== 'string' || token === '') throw invalid({ token: required() });
  const found = verifyRecordToken(deps, token, type);
  if (!found)
    throw invalid({ token: { code: 'validation_invalid_token', message: 'Invalid or expired token.' } });
  if (found.collection.id !== collection.id) {
    throw invalid({
      token: {
        code: 'validation_token_collection_mismatch',
        message: 'The provided token is for different auth collection.',
      },
    });
  }
  return found;
}

/** A new password and its confirmation, checked against the collection's password field. */
function passwordErrors(collection: Collection, body: Record<string, unknown>): ErrorData {
  const errors: ErrorData = {};
  const password = body['password'];
  const confirm = body['passwordConfirm'];
  const field = findField(collection, 'password') as PasswordField | undefined;
  if (typeof password !== 'string' || password === '') errors['password'] = required();
  else if (field) {
    const error = validateValue(field, password);
    if (error) errors['password'] = error;
  }
  if (typeof confirm !== 'string' || confirm === '') errors['passwordConfirm'] = required();
  else if (confirm !== password)
    errors['passwordConfirm'] = { code: 'validation_values_mismatch', message: "Values don't match." };
  return errors;
}

/**
 * Writes account changes made by a flow (not a client's record update): a new password or email
 * rotates the tokenKey, which signs out every session. Publishes RecordUpdate like any write.
 */
function saveAuth(deps: Deps, collection: Collection, id: string, changes: Row): Row {
  const next: Row = { ...changes, updated: formatDateTime(new Date()) };
  if (!findField(collection, 'updated')) delete next['updated'];
  if (changes['password'] !== undefined || changes['email'] !== undefined) next['tokenKey'] = newTokenKey();
  return deps.db.transaction(() => {
    // Sessions end with a new tokenKey, and so do the one-time codes on their way.
    if (next['tokenKey'] !== undefined && deps.collections.find('_otps')) {
      statement(deps.db, 'DELETE FROM _otps WHERE collectionRef = ? AND recordRef = ?').run(
        collection.id,
        id,
      );
    }
    updateRow(deps.db, collection, id, next);
    const saved = findRow(deps.db, collection, id)!;
    const event: RecordEvent = { collectionId: collection.id, collectionName: collection.name, row: saved };
    deps.bus.publish('RecordUpdate', event);
    return saved;
  });
}

/**
 * An unverified account proves its email (the verification link, a code sent there): it is verified,
 * and identities linked before belong to whoever signed it up, not to the address's owner.
 */
function claimByEmail(deps: Deps, collection: Collection, id: string): Row {
  return deps.db.transaction(() => {
    unlinkOthers(deps, collection, id);
    return saveAuth(deps, collection, id, { verified: 1 });
  });
}

function otpCollection(deps: Deps): Collection {
  const otps = deps.collections.find('_otps');
  if (!otps) throw new Error('The _otps collection is missing (migration 20261122073000_otps).');
  return otps;
}

/**
 * The built-in job `__pbOTPCleanup__` (api/cron): every auth collection's one-time codes past its OTP
 * duration. Returns how many went.
 */
export function deleteAllExpiredOtps(deps: Pick<Deps, 'db' | 'collections'>): number {
  const otps = deps.collections.find('_otps');
  if (!otps) return 0;
  let deleted = 0;
  for (const collection of deps.collections.all()) {
    if (collection.type !== 'auth' || !collection.auth) continue;
    deleted += deleteExpiredOtps(deps, otps, collection);
  }
  return deleted;
}

/** Removes this collection's codes that are past its OTP duration. */
function deleteExpiredOtps(deps: Pick<Deps, 'db'>, otps: Collection, collection: Collection): number {
  const cutoff = formatDateTime(new Date(Date.now() - collection.auth!.otp.duration * 1000));
  return deps.db.transaction(
    () =>
      statement(deps.db, `DELETE FROM ${quoteIdent(otps.name)} WHERE collectionRef = ? AND created < ?`).run(
        collection.id,
        cutoff,
      ).changes,
  );
}

/**
 * Sends a mail after the answer: how long the relay takes must not tell the client anything.
 * A failure is logged (and `onFailure` undoes what the mail was for).
 */
function mailInBackground(
  deps: Deps,
  c: ApiContext,
  kind: AuthMailKind,
  to: string,
  vars: { collectionName: string; token?: string; otp?: string },
  onFailure?: () => void,
): void {
  const language = requestLanguage(c);
  setImmediate(() => {
    sendAuthMail(deps, kind, to, { ...vars, lang: language }).catch((err: unknown) => {
      deps.logger.error({ err, kind }, 'sending an account mail failed');
      onFailure?.();
    });
  });
}

/** Keys that expire; `add` says whether the key was new. Bounded. */
class ExpiringSet {
  #until = new Map<string, number>();

  add(key: string, ms: number): boolean {
    const now = Date.now();
    const until = this.#until.get(key);
    if (until !== undefined && until > now) return false;
    if (this.#until.size >= 100_000) this.#sweep(now);
    this.#until.set(key, now + ms);
    return true;
  }

  delete(key: string): void {
    this.#until.delete(key);
  }

  #sweep(now: number): void {
    for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key);
    if (this.#until.size >= 100_000) this.#until.clear();
  }
}

/** Counts per key within a window that starts at the first count. Bounded. */
class ExpiringCounter {
  #counts = new Map<string, { n: number; until: number }>();

  add(key: string, ms: number): number {
    const now = Date.now();
    let entry = this.#counts.get(key);
    if (!entry || entry.until <= now) {
      if (this.#counts.size >= 100_000) this.#counts.clear();
      this.#counts.set(key, (entry = { n: 0, until: now + ms }));
    }
    entry.n += 1;
    return entry.n;
  }
}
