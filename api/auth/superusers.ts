import { z } from 'zod';
import type { Database } from '../core/db';
import { ApiError, type ErrorData } from '../core/errors';
import type { EventBus } from '../core/events';
import { SUPERUSERS } from '../core/http';
import { hashPassword } from './password';
import {
  countSuperusers,
  findSuperuserByEmail,
  insertSuperuser,
  updateSuperuserPassword,
  type SuperuserRow,
} from './superusers.store';

/**
 * Superuser accounts: what the API, the setup page and `hearth superuser upsert` share. The full
 * account system (other auth collections, OTP, OAuth2, SIWE) builds on this in the accounts issue.
 */
export interface SuperuserDeps {
  db: Database;
  bus?: EventBus;
}

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/** The record as the API shows it (never the hash or tokenKey). */
export interface SuperuserRecord {
  id: string;
  collectionId: string;
  collectionName: string;
  email: string;
  emailVisibility: boolean;
  verified: boolean;
  created: string;
  updated: string;
}

export function toSuperuserRecord(row: SuperuserRow): SuperuserRecord {
  return {
    id: row.id,
    collectionId: SUPERUSERS.id,
    collectionName: SUPERUSERS.name,
    email: row.email,
    emailVisibility: row.emailVisibility === 1,
    verified: row.verified === 1,
    created: row.created,
    updated: row.updated,
  };
}

const emailSchema = z.email().max(255);

export interface CredentialsInput {
  email?: unknown;
  password?: unknown;
  passwordConfirm?: unknown;
}

/**
 * PocketBase-style field errors for an email and password pair; empty when both are fine. Creating a
 * record through the API needs `passwordConfirm` as PocketBase does; the CLI does not ask for one.
 */
export function validateCredentials(input: CredentialsInput, options: { confirm: boolean }): ErrorData {
  const data: ErrorData = {};
  if (typeof input.email !== 'string' || input.email.trim() === '') {
    data['email'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (!emailSchema.safeParse(input.email.trim()).success) {
    data['email'] = { code: 'validation_is_email', message: 'Must be a valid email address.' };
  }
  if (typeof input.password !== 'string' || input.password === '') {
    data['password'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if ([...input.password].length < PASSWORD_MIN || [...input.password].length > PASSWORD_MAX) {
    data['password'] = {
      code: 'validation_length_out_of_range',
      message: `The length must be between ${PASSWORD_MIN} and ${PASSWORD_MAX}.`,
      params: { min: PASSWORD_MIN, max: PASSWORD_MAX },
    };
  }
  if (options.confirm && (typeof input.passwordConfirm !== 'string' || input.passwordConfirm === '')) {
    data['passwordConfirm'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (options.confirm && input.passwordConfirm !== input.password) {
    data['passwordConfirm'] = { code: 'validation_values_mismatch', message: "Values don't match." };
  }
  return data;
}

function assertValid(input: CredentialsInput, options: { confirm: boolean }): void {
  const data = validateCredentials(input, options);
  if (Object.keys(data).length > 0) throw ApiError.badRequest('Failed to create record.', data);
}

export function superuserCount(deps: SuperuserDeps): number {
  return countSuperusers(deps.db);
}

/**
 * Creates a superuser; 400 with `data.email` when the email is taken. With `onlyFirst` (the setup
 * page) it refuses with 403 once any superuser exists, checked inside the write transaction so two
 * racing setups cannot both succeed.
 */
export async function createSuperuser(
  deps: SuperuserDeps,
  input: CredentialsInput,
  options: { onlyFirst?: boolean } = {},
): Promise<SuperuserRow> {
  assertValid(input, { confirm: true });
  const email = (input.email as string).trim();
  const hash = await hashPassword(input.password as string);
  return deps.db.transaction(() => {
    if (options.onlyFirst && countSuperusers(deps.db) > 0)
      throw ApiError.forbidden('Hearth is already set up.');
    if (findSuperuserByEmail(deps.db, email)) {
      throw ApiError.badRequest('Failed to create record.', {
        email: { code: 'validation_not_unique', message: 'Value must be unique.' },
      });
    }
    const inserted = insertSuperuser(deps.db, email, hash);
    deps.bus?.publish('SuperuserUpsert', { id: inserted.id, email, created: true });
    return inserted;
  });
}

/**
 * Creates the superuser or, when the email exists, sets its password (which signs out its sessions).
 * Safe to run while a server uses the same database: the write waits on SQLite's lock.
 */
export async function upsertSuperuser(
  deps: SuperuserDeps,
  email: string,
  password: string,
): Promise<{ record: SuperuserRecord; created: boolean }> {
  assertValid({ email, password }, { confirm: false });
  const trimmed = email.trim();
  const hash = await hashPassword(password);
  return deps.db.transaction(() => {
    const existing = findSuperuserByEmail(deps.db, trimmed);
    const row = existing
      ? updateSuperuserPassword(deps.db, existing.id, hash)
      : insertSuperuser(deps.db, trimmed, hash);
    deps.bus?.publish('SuperuserUpsert', { id: row.id, email: row.email, created: !existing });
    return { record: toSuperuserRecord(row), created: !existing };
  });
}

let dummy: Promise<string> | undefined;
/**
 * A throwaway hash that sign-ins verify against when the identity is unknown, so timing does not
 * reveal accounts. Made once, ahead of the first sign-in (see warmUpSuperuserAuth).
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword('hearth-timing-equaliser');
  return dummy;
}

/** Prepares the throwaway hash at start, so the first unknown-email sign-in is not slower than others. */
export function warmUpSuperuserAuth(): void {
  void dummyHash();
}
