import { afterEach, describe, expect, test, vi } from 'vitest';
import type { LogRow } from './logs.store';
import { LogIds, LogWriter, type PendingEntry } from './logs.writer';

const entry = (n: number, time = Date.UTC(2026, 10, 22, 8, 51, 20, 123)): PendingEntry => ({
  time,
  level: 0,
  message: `entry ${n}`,
  data: `{"n":${n}}`,
});

function writer(options: { batchSize?: number; maxPending?: number; flushMs?: number } = {}) {
  const batches: LogRow[][] = [];
  const errors: { err: unknown; lost: number }[] = [];
  let fail = false;
  const w = new LogWriter({
    ...options,
    sink: (rows) => {
      if (fail) throw new Error('disk full');
      batches.push(rows);
    },
    onError: (err, lost) => errors.push({ err, lost }),
  });
  return { w, batches, errors, failNext: (f: boolean) => (fail = f) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LogWriter', () => {
  test('nothing is written per entry: one batch after the timer, with PocketBase rows', () => {
    vi.useFakeTimers();
    const { w, batches } = writer({ flushMs: 1000 });
    for (let i = 0; i < 3; i++) w.push(entry(i));
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(999);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((r) => r.message)).toEqual(['entry 0', 'entry 1', 'entry 2']);
    const row = batches[0]![0]!;
    expect(row.created).toBe('2026-11-22 08:51:20.123Z');
    expect(row.id).toMatch(/^[a-z0-9]{15}$/);
    expect(row.data).toBe('{"n":0}');
  });

  test('a full batch is written on the next turn of the event loop, not inside push', async () => {
    const { w, batches } = writer({ batchSize: 10, flushMs: 60_000 });
    for (let i = 0; i < 10; i++) w.push(entry(i));
    expect(batches).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(10);
    expect(w.pending).toBe(0);
  });

  test('past maxPending entries are dropped and counted: memory stays bounded', () => {
    const { w, batches } = writer({ batchSize: 1_000_000, maxPending: 100, flushMs: 60_000 });
    for (let i = 0; i < 250; i++) w.push(entry(i));
    expect(w.pending).toBe(100);
    expect(w.dropped).toBe(150);
    w.flush();
    expect(batches[0]).toHaveLength(100);
    expect(batches[0]![99]!.message).toBe('entry 99'); // the first ones are kept
    w.push(entry(300));
    expect(w.pending).toBe(1);
  });

  test('a batch that cannot be written is reported with its size, and the writer goes on', () => {
    const { w, batches, errors, failNext } = writer();
    failNext(true);
    w.push(entry(1));
    w.push(entry(2));
    w.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.lost).toBe(2);
    failNext(false);
    w.push(entry(3));
    w.flush();
    expect(batches.flat().map((r) => r.message)).toEqual(['entry 3']);
  });

  test('close writes what waits; later entries are dropped', () => {
    const { w, batches } = writer({ flushMs: 60_000 });
    w.push(entry(1));
    w.close();
    expect(batches.flat()).toHaveLength(1);
    w.push(entry(2));
    w.flush();
    expect(batches.flat()).toHaveLength(1);
    expect(w.dropped).toBe(1);
  });
});

describe('LogIds', () => {
  test('15 characters of [a-z0-9], unique and rising in text order, also within a millisecond', () => {
    const ids = new LogIds();
    const made: string[] = [];
    const t = Date.UTC(2026, 10, 22);
    for (let i = 0; i < 5000; i++) made.push(ids.next(t + Math.floor(i / 1000)));
    // The clock going back does not make an id go back.
    made.push(ids.next(t - 10_000));
    for (const id of made) expect(id).toMatch(/^[a-z0-9]{15}$/);
    expect(new Set(made).size).toBe(made.length);
    expect([...made].sort()).toEqual(made);
  });
});
