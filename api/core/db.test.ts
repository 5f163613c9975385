import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DatabaseOpenError, HEARTH_APPLICATION_ID, openDatabase, type Database } from './db';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hearth-db-'));
  file = join(dir, 'data.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('openDatabase', () => {
  test('sets the documented pragmas', () => {
    const db = openDatabase(file);
    try {
      expect(db.sql.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.sql.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.sql.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.sql.pragma('busy_timeout', { simple: true })).toBe(10000);
    } finally {
      db.close();
    }
  });

  test('close checkpoints the WAL away', () => {
    const db = openDatabase(file);
    db.sql.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const raw = new BetterSqlite3(file, { readonly: true });
    expect(raw.prepare('SELECT x FROM t').pluck().get()).toBe(1);
    raw.close();
  });

  test('refuses a file that is not SQLite and leaves it byte-identical', () => {
    writeFileSync(file, Buffer.alloc(8192, 'not a database, just bytes '));
    const before = sha(file);
    expect(() => openDatabase(file)).toThrow(DatabaseOpenError);
    expect(() => openDatabase(file)).toThrow(/not a SQLite database/);
    expect(sha(file)).toBe(before);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  test('refuses a SQLite file with corrupted pages and leaves it byte-identical', () => {
    const db = openDatabase(file);
    db.sql.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX t_body ON t (body)');
    const insert = db.sql.prepare('INSERT INTO t (body) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} `.repeat(20));
    });
    db.close();
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Scribble over pages in the middle of the file, keeping the header intact.
    for (let p = 3; p < 8; p++) bytes.fill(0x5a, p * pageSize + 10, (p + 1) * pageSize - 10);
    writeFileSync(file, bytes);
    const before = sha(file);
    expect(() => openDatabase(file)).toThrow(DatabaseOpenError);
    expect(sha(file)).toBe(before);
  });

  test('refuses a SQLite database of another application and leaves it byte-identical', () => {
    const other = new BetterSqlite3(file);
    other.exec(
      "CREATE TABLE _migrations (file TEXT PRIMARY KEY, applied INTEGER); INSERT INTO _migrations VALUES ('x', 1)",
    );
    other.close();
    const before = sha(file);
    expect(() => openDatabase(file)).toThrow(/another application/);
    expect(sha(file)).toBe(before);
  });

  test('marks its own databases, and claims an empty one', () => {
    const empty = new BetterSqlite3(file);
    empty.close();
    const db = openDatabase(file);
    expect(db.sql.pragma('application_id', { simple: true })).toBe(HEARTH_APPLICATION_ID);
    db.sql.exec('CREATE TABLE t (x)');
    db.close();
    openDatabase(file).close(); // a Hearth database with tables opens again
  });

  test('readonly opens change nothing and need an existing file', () => {
    const db = openDatabase(file);
    db.sql.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    db.close();
    const before = sha(file);
    const ro = openDatabase(file, { readonly: true });
    expect(ro.sql.prepare('SELECT x FROM t').pluck().get()).toBe(1);
    expect(() => ro.sql.exec('INSERT INTO t VALUES (2)')).toThrow(/readonly/);
    expect(ro.close()).toEqual({ checkpointed: true });
    expect(sha(file)).toBe(before);
    expect(() => openDatabase(join(dir, 'missing.db'), { readonly: true })).toThrow(DatabaseOpenError);
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
  });

  test('close reports whether the WAL could be checkpointed', () => {
    const db = openDatabase(file);
    db.sql.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    const reader = new BetterSqlite3(file, { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT * FROM t').all(); // holds a read snapshot: TRUNCATE cannot finish
    db.sql.pragma('busy_timeout = 50');
    expect(db.close()).toEqual({ checkpointed: false });
    reader.prepare('COMMIT').run();
    reader.close();
  });

  test('accepts an empty file as an empty database', () => {
    writeFileSync(file, '');
    const db = openDatabase(file);
    db.close();
  });
});

describe('transaction and afterCommit', () => {
  let db: Database;
  beforeEach(() => {
    db = openDatabase(file);
    db.sql.exec('CREATE TABLE t (x)');
  });
  afterEach(() => db.close());

  test('callbacks run after commit, not inside the transaction', () => {
    const seen: string[] = [];
    db.transaction(() => {
      db.sql.exec('INSERT INTO t VALUES (1)');
      db.afterCommit(() => seen.push('committed'));
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['committed']);
  });

  test('a rollback drops the callbacks and the rows', () => {
    const seen: string[] = [];
    expect(() =>
      db.transaction(() => {
        db.sql.exec('INSERT INTO t VALUES (1)');
        db.afterCommit(() => seen.push('never'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(seen).toEqual([]);
    expect(db.sql.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });

  test('afterRollback runs on rollback only, a released savepoint handing its undo to the parent', () => {
    const seen: string[] = [];
    db.transaction(() => db.afterRollback(() => seen.push('committed, never')));
    expect(() =>
      db.transaction(() => {
        db.afterRollback(() => seen.push('outer'));
        db.transaction(() => db.afterRollback(() => seen.push('released savepoint')));
        try {
          db.transaction(() => {
            db.afterRollback(() => seen.push('failed savepoint'));
            throw new Error('inner');
          });
        } catch {
          seen.push('caught');
        }
        throw new Error('outer');
      }),
    ).toThrow('outer');
    expect(seen).toEqual(['failed savepoint', 'caught', 'released savepoint', 'outer']);
  });

  test('a rolled-back savepoint drops only its own callbacks', () => {
    const seen: string[] = [];
    db.transaction(() => {
      db.afterCommit(() => seen.push('outer'));
      try {
        db.transaction(() => {
          db.sql.exec('INSERT INTO t VALUES (2)');
          db.afterCommit(() => seen.push('inner'));
          throw new Error('inner fails');
        });
      } catch {
        // the outer transaction goes on
      }
      db.transaction(() => db.afterCommit(() => seen.push('inner ok')));
    });
    expect(seen).toEqual(['outer', 'inner ok']);
    expect(db.sql.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
  });

  test('outside a transaction afterCommit runs at once', () => {
    let ran = false;
    db.afterCommit(() => (ran = true));
    expect(ran).toBe(true);
  });
});
