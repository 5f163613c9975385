import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../auth/record-tokens';
import { upsertSuperuser } from '../auth/superusers';
import { findSuperuserByEmail } from '../auth/superusers.store';
import { silentLogger } from '../core/logger';
import { createHearth, DATABASE_FILE, type Hearth } from '../main';
import type { RecordRequest } from '../records/records.request';

/**
 * In-process Hearth instances for API tests: real database, real migrations, requests through
 * `hearth.api.request()` with no socket.
 */
export interface TestHearth extends Hearth {
  dir: string;
  /** Closes the instance and deletes its data folder. */
  cleanup(): Promise<void>;
}

export function testHearth(dir = mkdtempSync(join(tmpdir(), 'hearth-api-'))): TestHearth {
  const hearth = createHearth(
    { host: '127.0.0.1', port: 0, dir, domain: 'localhost', dev: false },
    { logger: silentLogger() },
  );
  return Object.assign(hearth, {
    dir,
    async cleanup() {
      await hearth.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/**
 * A migrated database prepared once by `fixture`, copied for every test so each starts from the same
 * state without paying for the fixture (password hashing) again.
 */
export async function fixtureTemplate(fixture: (hearth: Hearth) => Promise<void> | void): Promise<{
  fresh(): TestHearth;
  dispose(): void;
}> {
  const template = testHearth();
  await fixture(template);
  await template.close();
  return {
    fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'hearth-api-'));
      copyFileSync(join(template.dir, DATABASE_FILE), join(dir, DATABASE_FILE));
      return testHearth(dir);
    },
    dispose() {
      rmSync(template.dir, { recursive: true, force: true });
    },
  };
}

export const SUPERUSER = { email: 'admin@example.com', password: 'correct horse battery' } as const;

/** Fixture: one superuser with the SUPERUSER credentials. */
export async function withSuperuser(hearth: Hearth): Promise<void> {
  await upsertSuperuser(hearth, SUPERUSER.email, SUPERUSER.password);
}

/** An `Authorization` header for the fixture superuser. */
export async function superuserHeaders(hearth: Hearth): Promise<Record<string, string>> {
  const row = findSuperuserByEmail(hearth.db, SUPERUSER.email);
  if (!row) throw new Error('the fixture has no superuser: use withSuperuser');
  return recordHeaders(hearth, '_superusers', row.id);
}

/** An `Authorization` header for a record of any auth collection, minted with the token module. */
export async function recordHeaders(
  hearth: Hearth,
  collectionName: string,
  id: string,
): Promise<Record<string, string>> {
  const collection = hearth.collections.find(collectionName);
  if (!collection) throw new Error(`no collection ${collectionName}`);
  const row = hearth.db.sql.prepare(`SELECT id, tokenKey FROM "${collection.name}" WHERE id = ?`).get(id) as
    { id: string; tokenKey: string } | undefined;
  if (!row) throw new Error(`no record ${id} in ${collectionName}`);
  return { Authorization: issueToken(hearth, collection, row, 'auth') };
}

/** What the services see for a superuser request (fixtures create data through the same code as the API). */
export const SUPERUSER_REQUEST: RecordRequest = {
  isSuperuser: true,
  info: { auth: null, method: 'POST', context: 'default', query: {}, headers: {}, body: {} },
};
