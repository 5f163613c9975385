import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { openDatabase, type Database } from './db';
import { InProcessBus } from './events';
import { applyMigrations, collectMigrations } from './migrate';
import * as params from './migrations/20261122000000_params';
import { defineSettings, parseSettingText, SettingsError, SettingsStore } from './settings';

const defs = defineSettings({
  'meta.appName': { schema: z.string().trim().min(1).max(100), default: 'Hearth', description: 'name' },
  'batch.enabled': { schema: z.boolean(), default: false, description: 'batch' },
  'batch.maxRequests': { schema: z.number().int().min(1).max(1000), default: 50, description: 'max' },
  'rate.rules': {
    schema: z.array(z.object({ label: z.string(), max: z.number().int() })),
    default: [],
    description: 'rules',
  },
});

let dir: string;
let db: Database;
let store: SettingsStore<typeof defs>;
let bus: InProcessBus;

const rows = () => db.sql.prepare('SELECT key, value FROM _params ORDER BY key').all();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-settings-'));
  db = openDatabase(join(dir, 'data.db'));
  applyMigrations(db, collectMigrations({ './core/migrations/20261122000000_params.ts': params }));
  bus = new InProcessBus({
    afterCommit: (fn) => db.afterCommit(fn),
    onError: (err) => {
      throw err;
    },
  });
  store = new SettingsStore(db, defs, bus);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SettingsStore', () => {
  test('typed defaults without any stored row', () => {
    expect(store.get('meta.appName')).toBe('Hearth');
    expect(store.get('batch.maxRequests')).toBe(50);
    expect(store.all()).toEqual({
      'meta.appName': 'Hearth',
      'batch.enabled': false,
      'batch.maxRequests': 50,
      'rate.rules': [],
    });
    expect(rows()).toEqual([]);
  });

  test('set validates, stores and reads back; a default value removes the row', () => {
    store.set({ 'meta.appName': '  My Cloud ', 'batch.enabled': true });
    expect(store.get('meta.appName')).toBe('My Cloud');
    expect(store.get('batch.enabled')).toBe(true);
    expect(rows()).toHaveLength(2);
    store.set({ 'batch.enabled': false });
    expect(rows()).toHaveLength(1);
    expect(store.describe().find((s) => s.key === 'batch.enabled')).toMatchObject({
      value: false,
      changed: false,
    });
  });

  test('an unknown key is an error and nothing is written', () => {
    expect(() => store.set({ 'meta.appName': 'Fine', 'no.such': 1 })).toThrow(SettingsError);
    expect(() => store.set({ 'no.such': 1 })).toThrow(/Unknown setting "no.such"/);
    expect(rows()).toEqual([]);
    expect(store.get('meta.appName')).toBe('Hearth');
  });

  test.each([
    ['batch.maxRequests', 0],
    ['batch.maxRequests', 1.5],
    ['batch.maxRequests', '10'],
    ['batch.enabled', 'yes'],
    ['meta.appName', ''],
    ['meta.appName', 'x'.repeat(101)],
    ['rate.rules', [{ label: 'x' }]],
  ])('a wrong value for %s (%j) is an error and nothing is written', (key, value) => {
    expect(() => store.set({ 'meta.appName': 'Changed', [key]: value })).toThrow(/Invalid value for/);
    expect(rows()).toEqual([]);
  });

  test('parseText reads command-line text by the key type', () => {
    expect(parseSettingText(defs, 'batch.maxRequests', '200')).toBe(200);
    expect(parseSettingText(defs, 'batch.enabled', 'true')).toBe(true);
    expect(parseSettingText(defs, 'meta.appName', 'My Cloud')).toBe('My Cloud');
    expect(parseSettingText(defs, 'meta.appName', '123')).toBe('123');
    expect(parseSettingText(defs, 'rate.rules', '[{"label":"*:auth","max":2}]')).toEqual([
      { label: '*:auth', max: 2 },
    ]);
    expect(() => parseSettingText(defs, 'batch.maxRequests', 'many')).toThrow(SettingsError);
    expect(() => parseSettingText(defs, 'batch.enabled', 'maybe')).toThrow(SettingsError);
  });

  test('sees writes made by another process (another connection) within a millisecond', async () => {
    expect(store.get('batch.maxRequests')).toBe(50);
    const other = new BetterSqlite3(join(dir, 'data.db'));
    other
      .prepare('INSERT INTO _params (key, value, updated) VALUES (?, ?, ?)')
      .run('batch.maxRequests', '7', 'now');
    other.close();
    // Database.dataVersion answers from a 1 ms memo: another process's commit shows after it.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.get('batch.maxRequests')).toBe(7);
  });

  test('ignores stored values that no longer pass their schema', () => {
    db.sql
      .prepare('INSERT INTO _params (key, value, updated) VALUES (?, ?, ?)')
      .run('batch.maxRequests', '"lots"', 'now');
    expect(new SettingsStore(db, defs).get('batch.maxRequests')).toBe(50);
  });

  test('publishes SettingsUpdate once, after commit', async () => {
    const events: string[][] = [];
    bus.subscribe('SettingsUpdate', (p) => void events.push(p.keys));
    store.set({ 'batch.enabled': true, 'batch.maxRequests': 10 });
    await bus.flush();
    expect(events).toEqual([['batch.enabled', 'batch.maxRequests']]);
    expect(() => store.set({ 'batch.maxRequests': -1 })).toThrow();
    expect(events).toHaveLength(1);
  });

  test('a secret is left out of redacted() and blanked in describe(), which still tells whether it is set', () => {
    const withSecret = defineSettings({
      ...defs,
      'smtp.password': { schema: z.string(), default: '', secret: true, description: 'pw' },
    });
    const secrets = new SettingsStore(db, withSecret, bus);
    const info = () => secrets.describe().find((d) => d.key === 'smtp.password');
    expect(info()).toMatchObject({ value: '', secret: true, changed: false });
    secrets.set({ 'smtp.password': 'hunter2' });
    expect(secrets.get('smtp.password')).toBe('hunter2');
    expect(secrets.all()['smtp.password']).toBe('hunter2');
    expect(secrets.redacted()).not.toHaveProperty('smtp.password');
    expect(secrets.redacted()).toMatchObject({ 'meta.appName': 'Hearth' });
    expect(info()).toMatchObject({ value: '', secret: true, changed: true });
    expect(JSON.stringify(secrets.describe())).not.toContain('hunter2');
    expect(secrets.isSecret('smtp.password')).toBe(true);
    expect(secrets.isSecret('meta.appName')).toBe(false);
  });

  test('a secret must default to the empty string', () => {
    expect(() =>
      defineSettings({ pw: { schema: z.string(), default: 'changeme', secret: true, description: '' } }),
    ).toThrow(/must default to ''/);
  });

  test('a default that fails its own schema is caught at definition', () => {
    expect(() => defineSettings({ bad: { schema: z.number().min(1), default: 0, description: '' } })).toThrow(
      /Default/,
    );
  });
});
