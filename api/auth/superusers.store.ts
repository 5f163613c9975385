import { randomBytes } from 'node:crypto';
import type { Database } from '../core/db';
import { newRecordId } from '../lib/id';
import { formatDateTime } from '../lib/time';

/** The SQL of `_superusers`; nothing else touches the table. */
export interface SuperuserRow {
  id: string;
  email: string;
  emailVisibility: number;
  verified: number;
  password: string;
  tokenKey: string;
  created: string;
  updated: string;
}

export function newTokenKey(): string {
  return randomBytes(36).toString('base64url');
}

export function countSuperusers(db: Database): number {
  return db.sql.prepare('SELECT count(*) FROM _superusers').pluck().get() as number;
}

export function findSuperuserById(db: Database, id: string): SuperuserRow | undefined {
  return db.sql.prepare('SELECT * FROM _superusers WHERE id = ?').get(id) as SuperuserRow | undefined;
}

export function findSuperuserByEmail(db: Database, email: string): SuperuserRow | undefined {
  return db.sql.prepare('SELECT * FROM _superusers WHERE email = ? COLLATE NOCASE').get(email) as
    SuperuserRow | undefined;
}

export function insertSuperuser(db: Database, email: string, passwordHash: string): SuperuserRow {
  const now = formatDateTime(new Date());
  const row: SuperuserRow = {
    id: newRecordId(),
    email,
    emailVisibility: 0,
    verified: 1,
    password: passwordHash,
    tokenKey: newTokenKey(),
    created: now,
    updated: now,
  };
  db.sql
    .prepare(
      `INSERT INTO _superusers (id, email, emailVisibility, verified, password, tokenKey, created, updated)
       VALUES (@id, @email, @emailVisibility, @verified, @password, @tokenKey, @created, @updated)`,
    )
    .run(row);
  return row;
}

/** Sets a new password and rotates tokenKey, so every token issued before stops working. */
export function updateSuperuserPassword(db: Database, id: string, passwordHash: string): SuperuserRow {
  db.sql
    .prepare('UPDATE _superusers SET password = ?, tokenKey = ?, updated = ? WHERE id = ?')
    .run(passwordHash, newTokenKey(), formatDateTime(new Date()), id);
  return findSuperuserById(db, id)!;
}
