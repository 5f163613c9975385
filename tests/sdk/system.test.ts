import type PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { migrations as builtMigrations } from '../../api/migrations';
import { settingDefs } from '../../api/settings/registry';
import { failure, send, startSdkServer, type SdkServer } from './server';

// Hearth-only endpoints for the admin console: GET /api/hearth/migrations and
// GET /api/hearth/settings/schema (superusers only).

let s: SdkServer;
let user: PocketBase;
beforeAll(async () => {
  s = await startSdkServer();
  user = (await s.signUp()).client;
});
afterAll(async () => {
  await s?.close();
});

describe('access', () => {
  const endpoints: [string, string][] = [
    ['GET', '/api/hearth/migrations'],
    ['GET', '/api/hearth/settings/schema'],
    ['POST', '/api/hearth/collections/validate'],
  ];
  test.each(endpoints)('%s %s: anonymous → 401, a user → 403', async (method, path) => {
    const body = method === 'POST' ? { name: 'x' } : undefined;
    expect((await failure(s.newClient().send(path, { method, body }))).status).toBe(401);
    expect((await failure(user.send(path, { method, body }))).status).toBe(403);
  });
});

interface MigrationJSON {
  id: string;
  capability: string;
  time: string | null;
  applied: string | null;
}
type Status = Record<'applied' | 'pending' | 'unknown', MigrationJSON[]>;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

describe('GET /api/hearth/migrations', () => {
  const status = async () => (await send(s.admin, '/api/hearth/migrations')) as unknown as Status;

  test('a started server has applied every migration of its build, in time order', async () => {
    const { applied, pending, unknown } = await status();
    expect(applied.map((m) => m.id)).toEqual(builtMigrations.map((m) => m.id));
    expect(pending).toEqual([]);
    expect(unknown).toEqual([]);
    for (const m of applied) {
      expect(Object.keys(m).sort()).toEqual(['applied', 'capability', 'id', 'time']);
      expect(m.id.startsWith(`${m.capability}/`)).toBe(true);
      expect(m.time).toMatch(ISO_UTC);
      expect(m.applied).toMatch(ISO_UTC);
    }
  });

  test('shows a migration not recorded as pending and one of a newer build as unknown', async () => {
    // What another process would leave: a row removed, a row from a newer Hearth.
    const sql = s.hearth.db.sql;
    const first = builtMigrations[0]!.id;
    const row = sql.prepare('SELECT name, applied FROM _migrations WHERE name = ?').get(first);
    sql.prepare('DELETE FROM _migrations WHERE name = ?').run(first);
    sql
      .prepare('INSERT INTO _migrations (name, applied) VALUES (?, ?)')
      .run('future/20991231235959_later', '2099-12-31T23:59:59.000Z');
    try {
      const { applied, pending, unknown } = await status();
      expect(pending).toEqual([
        {
          id: first,
          capability: builtMigrations[0]!.capability,
          time: builtMigrations[0]!.time,
          applied: null,
        },
      ]);
      expect(applied.map((m) => m.id)).not.toContain(first);
      expect(unknown).toEqual([
        {
          id: 'future/20991231235959_later',
          capability: 'future',
          time: '2099-12-31T23:59:59Z',
          applied: '2099-12-31T23:59:59.000Z',
        },
      ]);
    } finally {
      sql.prepare("DELETE FROM _migrations WHERE name = 'future/20991231235959_later'").run();
      sql.prepare('INSERT INTO _migrations (name, applied) VALUES (@name, @applied)').run(row);
    }
  });
});

interface SettingJSON {
  key: string;
  section: string;
  name: string;
  default: unknown;
  secret: boolean;
  description: string;
  schema: Record<string, unknown>;
}

describe('GET /api/hearth/settings/schema', () => {
  let list: SettingJSON[];
  beforeAll(async () => {
    list = (await s.admin.send('/api/hearth/settings/schema', {})) as SettingJSON[];
  });

  test('lists every setting of the server, sorted by key', () => {
    const keys = Object.keys(settingDefs).sort();
    expect(list.map((x) => x.key)).toEqual(keys);
  });

  test('covers everything GET /api/settings shows, and the secrets it leaves out', async () => {
    const shown = await send(s.admin, '/api/settings');
    const byKey = new Map(list.map((x) => [x.key, x]));
    for (const [section, fields] of Object.entries(shown)) {
      for (const [name, value] of Object.entries(fields as Record<string, unknown>)) {
        const entry = byKey.get(`${section}.${name}`);
        expect(entry, `${section}.${name}`).toMatchObject({ section, name, secret: false });
        expect(value).toEqual(entry!.default); // a new server has only defaults
      }
    }
    expect(byKey.get('smtp.password')).toMatchObject({ section: 'smtp', secret: true, default: '' });
  });

  test.each(Object.keys(settingDefs).sort())('%s: a JSON Schema its default fits', (key) => {
    const def = settingDefs[key as keyof typeof settingDefs];
    // The server converts with a fallback; no current setting may need it.
    expect(() => z.toJSONSchema(def.schema, { io: 'input' })).not.toThrow();
    const entry = list.find((x) => x.key === key)!;
    expect(entry.description).toBe(def.description);
    expect(entry.default).toEqual(def.default);
    const { schema } = entry;
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const value: unknown = def.default;
    if (Array.isArray(schema['enum'])) expect(schema['enum']).toContain(value);
    switch (schema['type']) {
      case 'boolean':
        return expect(typeof value).toBe('boolean');
      case 'integer':
        expect(Number.isInteger(value)).toBe(true);
        if (typeof schema['minimum'] === 'number') expect(value).toBeGreaterThanOrEqual(schema['minimum']);
        if (typeof schema['maximum'] === 'number') expect(value).toBeLessThanOrEqual(schema['maximum']);
        return;
      case 'string':
        expect(typeof value).toBe('string');
        if (typeof schema['maxLength'] === 'number')
          expect((value as string).length).toBeLessThanOrEqual(schema['maxLength']);
        return;
      case 'array':
        expect(Array.isArray(value)).toBe(true);
        if (typeof schema['maxItems'] === 'number')
          expect((value as unknown[]).length).toBeLessThanOrEqual(schema['maxItems']);
        return;
      default:
        throw new Error(`${key}: a schema without a type a form can render: ${JSON.stringify(schema)}`);
    }
  });
});
