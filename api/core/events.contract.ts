import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openDatabase, type Database } from './db';
import type { EventBus } from './events';

/**
 * The behaviour every EventBus must have (in-process now, NATS in scale-out). An implementation's
 * test calls this with a factory that builds the bus over the given database's commit hook.
 */
export function eventBusContract(
  name: string,
  makeBus: (db: Database, onError: (err: unknown, event: string) => void) => EventBus | Promise<EventBus>,
): void {
  describe(`EventBus contract: ${name}`, () => {
    let dir: string;
    let db: Database;
    let bus: EventBus;
    let errors: { err: unknown; event: string }[];

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hearth-bus-'));
      db = openDatabase(join(dir, 'data.db'));
      db.sql.exec('CREATE TABLE t (x)');
      errors = [];
      bus = await makeBus(db, (err, event) => errors.push({ err, event }));
    });
    afterEach(async () => {
      await bus.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('delivers a published event with its payload intact', async () => {
      const got: unknown[] = [];
      bus.subscribe('SettingsUpdate', (p) => void got.push(p));
      bus.publish('SettingsUpdate', { keys: ['meta.appName', 'a.b'] });
      await bus.flush();
      expect(got).toEqual([{ keys: ['meta.appName', 'a.b'] }]);
    });

    test('delivers only after the transaction commits', async () => {
      const got: unknown[] = [];
      bus.subscribe('SettingsUpdate', (p) => void got.push(p));
      db.transaction(() => {
        db.sql.exec('INSERT INTO t VALUES (1)');
        bus.publish('SettingsUpdate', { keys: ['x'] });
        expect(got).toEqual([]);
      });
      await bus.flush();
      expect(got).toEqual([{ keys: ['x'] }]);
    });

    test('never delivers an event of a rolled-back transaction', async () => {
      const got: unknown[] = [];
      bus.subscribeAll((n, p) => void got.push([n, p]));
      expect(() =>
        db.transaction(() => {
          bus.publish('SettingsUpdate', { keys: ['x'] });
          throw new Error('rollback');
        }),
      ).toThrow('rollback');
      await bus.flush();
      expect(got).toEqual([]);
    });

    test('drops events of a rolled-back savepoint, keeps the rest of the transaction', async () => {
      const got: string[][] = [];
      bus.subscribe('SettingsUpdate', (p) => void got.push(p.keys));
      db.transaction(() => {
        bus.publish('SettingsUpdate', { keys: ['kept'] });
        try {
          db.transaction(() => {
            bus.publish('SettingsUpdate', { keys: ['dropped'] });
            throw new Error('savepoint fails');
          });
        } catch {
          // outer transaction continues
        }
      });
      await bus.flush();
      expect(got).toEqual([['kept']]);
    });

    test('keeps publish order per subscriber', async () => {
      const got: string[] = [];
      bus.subscribe('SettingsUpdate', (p) => void got.push(p.keys[0]!));
      for (let i = 0; i < 50; i++) bus.publish('SettingsUpdate', { keys: [String(i)] });
      await bus.flush();
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    });

    test('routes by name and subscribeAll sees every name', async () => {
      const settings: unknown[] = [];
      const all: string[] = [];
      bus.subscribe('SettingsUpdate', (p) => void settings.push(p));
      bus.subscribeAll((n) => void all.push(n));
      bus.publish('SuperuserUpsert', { id: 'a', email: 'a@example.com', created: true });
      bus.publish('SettingsUpdate', { keys: [] });
      await bus.flush();
      expect(settings).toHaveLength(1);
      expect(all).toEqual(['SuperuserUpsert', 'SettingsUpdate']);
    });

    test('unsubscribe stops delivery', async () => {
      let count = 0;
      const off = bus.subscribe('SettingsUpdate', () => void count++);
      bus.publish('SettingsUpdate', { keys: [] });
      await bus.flush();
      off();
      bus.publish('SettingsUpdate', { keys: [] });
      await bus.flush();
      expect(count).toBe(1);
    });

    test('a failing subscriber is reported and does not stop the others or the writer', async () => {
      const got: number[] = [];
      bus.subscribe('SettingsUpdate', () => {
        throw new Error('sync failure');
      });
      bus.subscribe('SettingsUpdate', () => Promise.reject(new Error('async failure')));
      bus.subscribe('SettingsUpdate', () => void got.push(1));
      expect(() => db.transaction(() => bus.publish('SettingsUpdate', { keys: [] }))).not.toThrow();
      await bus.flush();
      await new Promise((r) => setTimeout(r, 10));
      expect(got).toEqual([1]);
      expect(errors.map((e) => (e.err as Error).message).sort()).toEqual(['async failure', 'sync failure']);
      expect(errors.every((e) => e.event === 'SettingsUpdate')).toBe(true);
    });
  });
}
