import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { migrations as built } from '../migrations';
import { DatabaseOpenError, openDatabase, type Database } from './db';
import {
  applyMigrations,
  collectMigrations,
  formatStamp,
  migrationScaffold,
  migrationStatus,
  parseStamp,
  type MigrationModule,
} from './migrate';

const noop: MigrationModule = { up: () => {} };
const table = (name: string): MigrationModule => ({ up: (sql) => sql.exec(`CREATE TABLE ${name} (x)`) });

let dir: string;
let db: Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-migrate-'));
  db = openDatabase(join(dir, 'data.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('collectMigrations', () => {
  test('orders all capabilities by UTC time, whatever the folder order', () => {
    const list = collectMigrations({
      './notes/migrations/20261201000000_notes.ts': noop,
      './auth/migrations/20261122000100_users.ts': noop,
      './core/migrations/20261122000000_params.ts': noop,
      './meet/migrations/20261122000100_rooms.ts': noop,
    });
    expect(list.map((m) => m.id)).toEqual([
      'core/20261122000000_params',
      'auth/20261122000100_users',
      'meet/20261122000100_rooms',
      'notes/20261201000000_notes',
    ]);
    expect(list[0]!.time).toBe('2026-11-22T00:00:00Z');
  });

  test.each([
    './core/migrations/2026112200000_short.ts',
    './core/migrations/20261322000000_month13.ts',
    './core/migrations/20260230000000_feb30.ts',
    './core/migrations/20261122000000_Upper.ts',
    './core/migrations/20261122000000-dash.ts',
    './core/20261122000000_no_folder.ts',
  ])('rejects a misnamed file: %s', (path) => {
    expect(() => collectMigrations({ [path]: noop })).toThrow(/YYYYMMDDHHMMSS/);
  });

  test('rejects a module without up()', () => {
    expect(() => collectMigrations({ './core/migrations/20261122000000_x.ts': {} })).toThrow(/up\(sql\)/);
  });

  test('the build gathers the real migrations in time order', () => {
    expect(built.length).toBeGreaterThanOrEqual(2);
    expect(built.map((m) => m.id)).toContain('core/20261122000000_params');
    expect([...built].sort((a, b) => a.time.localeCompare(b.time))).toEqual(built);
  });
});

describe('applyMigrations', () => {
  test('applies pending ones once, recording name and UTC time', () => {
    const list = collectMigrations({
      './a/migrations/20260101000000_one.ts': table('one'),
      './b/migrations/20260102000000_two.ts': table('two'),
    });
    const fixed = new Date('2026-11-22T10:00:00.000Z');
    expect(applyMigrations(db, list, () => fixed).map((m) => m.id)).toEqual([
      'a/20260101000000_one',
      'b/20260102000000_two',
    ]);
    expect(applyMigrations(db, list)).toEqual([]);
    const status = migrationStatus(db, list);
    expect(status.applied.map((m) => m.applied)).toEqual([
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T10:00:00.000Z',
    ]);
    expect(status.pending).toEqual([]);
  });

  test('a failing migration rolls back entirely and is not recorded; earlier ones stay', () => {
    const list = collectMigrations({
      './a/migrations/20260101000000_one.ts': table('one'),
      './a/migrations/20260102000000_bad.ts': {
        up: (sql: BetterSqlite3.Database) => {
          sql.exec('CREATE TABLE half (x)');
          sql.exec('THIS IS NOT SQL');
        },
      },
    });
    expect(() => applyMigrations(db, list)).toThrow();
    const status = migrationStatus(db, list);
    expect(status.applied.map((m) => m.id)).toEqual(['a/20260101000000_one']);
    expect(status.pending.map((m) => m.id)).toEqual(['a/20260102000000_bad']);
    expect(db.sql.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
  });

  test('refuses a database migrated by a newer build, naming the unknown migrations', () => {
    const list = collectMigrations({ './a/migrations/20260101000000_one.ts': table('one') });
    applyMigrations(db, list);
    db.sql
      .prepare('INSERT INTO _migrations (name, applied) VALUES (?, ?)')
      .run('future/20991231235959_x', '2099-12-31T23:59:59Z');
    const status = migrationStatus(db, list);
    expect(status.unknown.map((m) => m.id)).toEqual(['future/20991231235959_x']);
    expect(() => applyMigrations(db, list)).toThrow(DatabaseOpenError);
    expect(() => applyMigrations(db, list)).toThrow(/future\/20991231235959_x/);
  });
});

describe('stamps and scaffolds', () => {
  test('format and parse are inverse in UTC', () => {
    const date = new Date('2026-03-04T05:06:07.890Z');
    expect(formatStamp(date)).toBe('20260304050607');
    expect(parseStamp('20260304050607')).toBe('2026-03-04T05:06:07Z');
    expect(parseStamp('20261399000000')).toBeNull();
  });

  test('scaffold is named after the current UTC time and exports up()', () => {
    const { path, content } = migrationScaffold('notes', 'add_tags', new Date('2026-11-22T23:59:01Z'));
    expect(path).toBe('api/notes/migrations/20261122235901_add_tags.ts');
    expect(content).toContain('export function up(sql');
  });

  test.each([
    ['Notes', 'x'],
    ['../etc', 'x'],
    ['notes', 'Add-Tags'],
    ['notes', '../x'],
    ['', 'x'],
  ])('scaffold refuses capability %j name %j', (capability, name) => {
    expect(() => migrationScaffold(capability, name)).toThrow();
  });
});
