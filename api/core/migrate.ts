import type BetterSqlite3 from 'better-sqlite3';
import { DatabaseOpenError, type Database } from './db';
import {
  ensureMigrationsTable,
  isMigrationRecorded,
  readMigrationRows,
  recordMigration,
} from './migrations.store';

/**
 * Migrations: one folder per capability (`api/<capability>/migrations/YYYYMMDDHHMMSS_name.ts`, UTC).
 * They are gathered at build time by `import.meta.glob` in api/migrations.ts, so nothing is read from
 * disk at run time, and applied together in one global time order, each in its own transaction.
 */
export interface MigrationModule {
  up(sql: BetterSqlite3.Database): void;
}

export interface Migration {
  /** `<capability>/<YYYYMMDDHHMMSS>_<name>`, the key recorded in `_migrations`. */
  id: string;
  capability: string;
  /** UTC time from the file name, ISO 8601. */
  time: string;
  up: MigrationModule['up'];
}

export interface MigrationState {
  id: string;
  capability: string;
  time: string;
  /** ISO 8601 UTC, or null while pending. */
  applied: string | null;
}

export interface MigrationStatus {
  applied: MigrationState[];
  pending: MigrationState[];
  /** Recorded in the database but not part of this build (a newer Hearth wrote them). */
  unknown: MigrationState[];
}

const FILE_RE = /(?:^|\/)([a-z][a-z0-9-]*)\/migrations\/(\d{14})_([a-z][a-z0-9_]*)\.[jt]s$/;
export const CAPABILITY_RE = /^[a-z][a-z0-9-]*$/;
export const MIGRATION_NAME_RE = /^[a-z][a-z0-9_]*$/;

/** `20261122023000` → `2026-11-22T02:30:00Z`, or null when it is not a real UTC time. */
export function parseStamp(stamp: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}Z`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) || date.toISOString().replace('.000Z', 'Z') !== iso ? null : iso;
}

/** The UTC stamp for a new migration file. */
export function formatStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:T]/g, '');
}

/** Turns `import.meta.glob` output into migrations sorted by time, rejecting misnamed files. */
export function collectMigrations(modules: Record<string, unknown>): Migration[] {
  const list: Migration[] = [];
  for (const [path, mod] of Object.entries(modules)) {
    const m = FILE_RE.exec(path);
    const time = m ? parseStamp(m[2]!) : null;
    if (!m || !time) {
      throw new Error(
        `Migration file ${path} must be named <capability>/migrations/YYYYMMDDHHMMSS_name.ts (UTC)`,
      );
    }
    const up = (mod as Partial<MigrationModule>).up;
    if (typeof up !== 'function') throw new Error(`Migration ${path} does not export an up(sql) function`);
    list.push({ id: `${m[1]}/${m[2]}_${m[3]}`, capability: m[1]!, time, up });
  }
  return list.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
}

function splitId(id: string): { capability: string; time: string } {
  const [capability = '', rest = ''] = id.split('/');
  return { capability, time: parseStamp(rest.slice(0, 14)) ?? '' };
}

/** Reads what is applied without writing anything (works on a read-only connection). */
export function migrationStatus(db: Database, migrations: Migration[]): MigrationStatus {
  const rows = readMigrationRows(db);
  const recorded = new Map(rows.map((r) => [r.name, r.applied]));
  const known = new Set(migrations.map((m) => m.id));
  const state = (m: Migration): MigrationState => ({
    id: m.id,
    capability: m.capability,
    time: m.time,
    applied: recorded.get(m.id) ?? null,
  });
  return {
    applied: migrations.filter((m) => recorded.has(m.id)).map(state),
    pending: migrations.filter((m) => !recorded.has(m.id)).map(state),
    unknown: rows
      .filter((r) => !known.has(r.name))
      .map((r) => ({ id: r.name, ...splitId(r.name), applied: r.applied })),
  };
}

/** Refuses a database that a newer build has migrated: this build would not understand its schema. */
export function assertNoUnknownMigrations(status: MigrationStatus): void {
  if (status.unknown.length === 0) return;
  const names = status.unknown.map((m) => m.id).join(', ');
  throw new DatabaseOpenError(
    `The database has migrations this build of Hearth does not know (${names}). ` +
      'It was used by a newer Hearth: run that version, or restore a backup made for this one.',
  );
}

/**
 * Applies every pending migration in time order, each with its `_migrations` row in one transaction.
 * Another process (a second server, a CLI command) may be migrating the same file: each migration is
 * checked again inside its write transaction, so it runs exactly once.
 */
export function applyMigrations(db: Database, migrations: Migration[], now = () => new Date()): Migration[] {
  ensureMigrationsTable(db);
  const status = migrationStatus(db, migrations);
  assertNoUnknownMigrations(status);
  const pending = new Set(status.pending.map((m) => m.id));
  const done: Migration[] = [];
  for (const m of migrations) {
    if (!pending.has(m.id)) continue;
    const ran = db.transaction(() => {
      if (isMigrationRecorded(db, m.id)) return false;
      m.up(db.sql);
      recordMigration(db, m.id, now().toISOString());
      return true;
    });
    if (ran) done.push(m);
  }
  return done;
}

/** The path and text of a new migration file (`hearth migrate create`). */
export function migrationScaffold(
  capability: string,
  name: string,
  now = new Date(),
): { path: string; content: string } {
  if (!CAPABILITY_RE.test(capability)) {
    throw new Error(`Capability "${capability}" must be lower-case letters, digits and dashes (e.g. notes)`);
  }
  if (!MIGRATION_NAME_RE.test(name)) {
    throw new Error(
      `Migration name "${name}" must be lower-case letters, digits and underscores (e.g. add_tags)`,
    );
  }
  const path = `api/${capability}/migrations/${formatStamp(now)}_${name}.ts`;
  const content = `import type BetterSqlite3 from 'better-sqlite3';

/** ${name.replace(/_/g, ' ')} */
export function up(sql: BetterSqlite3.Database): void {
  sql.exec(\`\`);
}
`;
  return { path, content };
}
