import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DatabaseOpenError } from '../core/db';
import { silentLogger } from '../core/logger';
import { compileLogFilter } from './logs.resolver';
import { Logs, LogLevel, MAX_DATA_SIZE, serialize, type LogsSettingsReader } from './logs.service';
import { AUXILIARY_FILE, LogStore } from './logs.store';

/** The logs settings as a plain object the test changes. */
function settings(values: Partial<Record<string, unknown>> = {}) {
  const current: Record<string, unknown> = {
    'logs.maxDays': 5,
    'logs.minLevel': 0,
    'logs.logIP': true,
    'logs.logAuthId': false,
    ...values,
  };
  const reader = { get: (key: string) => current[key] } as LogsSettingsReader;
  return { reader, current };
}

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 10, 22, 8, 51, 20, 123);

let dir: string;
let logs: Logs | undefined;
let clock = T0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-logs-'));
  clock = T0;
});
afterEach(() => {
  logs?.close();
  logs = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function open(values: Partial<Record<string, unknown>> = {}, maxRows?: number) {
  const s = settings(values);
  logs = Logs.open(dir, { settings: s.reader, logger: silentLogger(), now: () => clock, maxRows });
  return { logs, current: s.current };
}

const messages = (l: Logs): string[] => {
  l.flush();
  return l.store.list(null, 'rowid', 1000, 0).map((r) => r.message);
};

describe('store', () => {
  test('auxiliary.db in the data folder, _logs in PocketBase columns, an index on created', () => {
    const { logs } = open();
    logs.write(LogLevel.info, 'hello', { type: 'custom', n: 1 });
    logs.flush();
    expect(existsSync(join(dir, AUXILIARY_FILE))).toBe(true);
    const sql = logs.store.db.sql;
    const columns = sql.prepare("SELECT name, type FROM pragma_table_info('_logs')").all();
    expect(columns).toEqual([
      { name: 'id', type: 'TEXT' },
      { name: 'level', type: 'INTEGER' },
      { name: 'message', type: 'TEXT' },
      { name: 'data', type: 'JSON' },
      { name: 'created', type: 'TEXT' },
    ]);
    expect(sql.pragma('journal_mode', { simple: true })).toBe('wal');
    const plan = sql.prepare("EXPLAIN QUERY PLAN SELECT id FROM _logs WHERE created <= '2026'").all() as {
      detail: string;
    }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('idx_logs_created');
    const [row] = logs.store.list(null, 'rowid', 10, 0);
    expect(row).toMatchObject({
      created: '2026-11-22 08:51:20.123Z',
      level: 0,
      message: 'hello',
      data: '{"type":"custom","n":1}',
    });
  });

  test('entries survive a close and open again; close writes what was waiting', () => {
    const first = open().logs;
    first.write(LogLevel.warn, 'waiting', {});
    first.close();
    logs = undefined;
    const again = open().logs;
    expect(messages(again)).toEqual(['waiting']);
  });

  test('a file that is not SQLite is refused, untouched, with a hint that it only holds logs', () => {
    writeFileSync(join(dir, AUXILIARY_FILE), 'not a database, but a file someone cares about');
    expect(() => LogStore.open(dir)).toThrow(DatabaseOpenError);
    expect(() => LogStore.open(dir)).toThrow(/only the logs/);
  });

  test('stats: entries per hour, oldest first, in PocketBase date format, with a filter', () => {
    const { logs } = open();
    const at = (iso: string, level: number) => {
      clock = Date.parse(iso);
      logs.write(level, 'x', { status: level === 8 ? 500 : 200 });
    };
    at('2026-11-22T08:00:00.000Z', 0);
    at('2026-11-22T08:59:59.999Z', 8);
    at('2026-11-22T06:10:00.000Z', 0);
    at('2026-11-22T09:00:00.000Z', 0);
    logs.flush();
    expect(logs.store.stats(null)).toEqual([
      { total: 1, date: '2026-11-22 06:00:00.000Z' },
      { total: 2, date: '2026-11-22 08:00:00.000Z' },
      { total: 1, date: '2026-11-22 09:00:00.000Z' },
    ]);
    expect(logs.store.stats(compileLogFilter('data.status >= 500'))).toEqual([
      { total: 1, date: '2026-11-22 08:00:00.000Z' },
    ]);
  });
});

describe('settings', () => {
  test('logs.minLevel drops lower levels; logs.maxDays 0 writes nothing; both apply at once', () => {
    const { logs, current } = open({ 'logs.minLevel': 4 });
    logs.write(LogLevel.debug, 'debug');
    logs.write(LogLevel.info, 'info');
    logs.write(LogLevel.warn, 'warn');
    logs.write(LogLevel.error, 'error');
    expect(messages(logs)).toEqual(['warn', 'error']);
    current['logs.minLevel'] = -4;
    logs.write(LogLevel.debug, 'debug again');
    current['logs.maxDays'] = 0;
    logs.write(LogLevel.error, 'not kept');
    expect(logs.enabled(LogLevel.error)).toBe(false);
    expect(messages(logs)).toEqual(['warn', 'error', 'debug again']);
  });
});

describe('retention (injected clock)', () => {
  test('deleteOldLogs(now) deletes what is older than logs.maxDays days, keeps the rest', () => {
    const { logs, current } = open({ 'logs.maxDays': 5 });
    for (const [name, age] of [
      ['10 days', 10 * DAY],
      ['6 days', 6 * DAY],
      ['5 days + 1 ms', 5 * DAY + 1],
      ['5 days - 1 s', 5 * DAY - 1000],
      ['1 hour', 60 * 60 * 1000],
      ['now', 0],
    ] as const) {
      clock = T0 - age;
      logs.write(LogLevel.info, name);
    }
    clock = T0;
    expect(logs.deleteOldLogs(new Date(T0))).toBe(3);
    expect(messages(logs)).toEqual(['5 days - 1 s', '1 hour', 'now']);
    // A day later the 5-day-old one goes too; nothing else.
    expect(logs.deleteOldLogs(new Date(T0 + DAY))).toBe(1);
    expect(messages(logs)).toEqual(['1 hour', 'now']);
    // maxDays 0 keeps none.
    current['logs.maxDays'] = 0;
    expect(logs.deleteOldLogs(new Date(T0))).toBe(2);
    expect(messages(logs)).toEqual([]);
  });

  test('entries still waiting in memory are judged too', () => {
    const { logs } = open({ 'logs.maxDays': 1 });
    clock = T0 - 3 * DAY;
    logs.write(LogLevel.info, 'old, not yet written');
    expect(logs.deleteOldLogs(new Date(T0))).toBe(1);
    expect(messages(logs)).toEqual([]);
  });

  test('the count cap keeps the newest entries, while writing and at retention', () => {
    const { logs } = open({}, 50);
    for (let i = 0; i < 120; i++) logs.write(LogLevel.info, `e${i}`);
    logs.flush();
    const kept = messages(logs);
    expect(kept).toHaveLength(50);
    expect(kept[0]).toBe('e70');
    expect(kept.at(-1)).toBe('e119');
    expect(logs.store.total()).toBe(50);
  });
});

describe('data', () => {
  test('over MAX_DATA_SIZE: whole keys kept while they fit, __pb_truncated__ set', () => {
    const big = 'x'.repeat(MAX_DATA_SIZE);
    const json = serialize({ type: 'request', status: 200, body: big, after: 'kept' });
    expect(json.length).toBeLessThanOrEqual(MAX_DATA_SIZE);
    expect(JSON.parse(json)).toEqual({
      type: 'request',
      status: 200,
      after: 'kept',
      __pb_truncated__: true,
    });
    expect(serialize({ ok: 1 })).toBe('{"ok":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(JSON.parse(serialize(cyclic))).toHaveProperty('error');
  });
});
