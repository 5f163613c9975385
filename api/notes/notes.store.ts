import type { Database } from '../core/db';
import { quoteIdent } from '../lib/sql';
import { statement } from '../records/records.store';

/** The collection of each user's wrapped keys; a row's id is its user's id. */
export const KEYS_TABLE = 'notes_keys';

/** A user who can receive a shared note: their id and the box public key to seal the note key for. */
export interface Recipient {
  id: string;
  boxPublicKey: string;
  /** Whether the user proved they own the address (the app warns before sharing with an unproven one). */
  verified: boolean;
}

/**
 * The user of `usersTable` with this email (compared without case, as the unique email index and
 * sign-in do) who has a `notes_keys` row. One query for both misses — no such user, a user without
 * keys — so neither the answer nor the work done tells them apart.
 */
export function findRecipient(db: Database, usersTable: string, email: string): Recipient | undefined {
  const row = statement(
    db,
    `SELECT u.id AS id, k.boxPublicKey AS boxPublicKey, u.verified AS verified
       FROM ${quoteIdent(usersTable)} AS u JOIN ${KEYS_TABLE} AS k ON k.id = u.id
      WHERE u.email = ? COLLATE NOCASE AND u.email != '' LIMIT 1`,
  ).get(email) as { id: string; boxPublicKey: string; verified: number } | undefined;
  return row && { id: row.id, boxPublicKey: row.boxPublicKey, verified: row.verified === 1 };
}

/** Ids of `notes_keys` rows whose user is gone (left by a crash between a user's delete and its cleanup). */
export function orphanedKeyIds(db: Database, usersTable: string): string[] {
  return statement(
    db,
    `SELECT k.id FROM ${KEYS_TABLE} AS k WHERE NOT EXISTS (SELECT 1 FROM ${quoteIdent(usersTable)} AS u WHERE u.id = k.id)`,
    true,
  ).all() as string[];
}
