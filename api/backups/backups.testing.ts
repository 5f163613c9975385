import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { silentLogger } from '../core/logger';
import type { Migration } from '../core/migrate';
import { openStores, type Stores } from '../main';
import { migrations as builtMigrations } from '../migrations';
import { MANIFEST_ENTRY, type BackupManifest } from './backups.manifest';

/**
 * Data folders and archives for the backup tests: a migrated Hearth database with rows, files under
 * storage/, and the files a restore must leave alone (auxiliary.db, backups/).
 */

export const VERSION = '0.1.0';
export const BUILD = { knownMigrations: builtMigrations.map((m) => m.id), version: VERSION };

/** Temporary folders made by {@link tempDir}, removed by {@link removeTempDirs}. */
const made: string[] = [];

export function tempDir(prefix = 'hearth-backups-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface TestData {
  dir: string;
  stores: Stores;
  /** Adds `count` rows, each bumping `tally.n` in the same transaction (a torn snapshot would show). */
  addItems(count: number, bytes?: number): void;
  /** Every item, in id order, as hex. */
  items(): { id: number; body: string }[];
  close(): void;
}

/**
 * A data folder as Hearth leaves it: migrated data.db (through `openStores`, as a server starts)
 * with an `items` table, and `files` written under it (paths relative to the data folder).
 */
export function testData(
  options: { dir?: string; migrations?: Migration[]; files?: Record<string, Uint8Array | string> } = {},
): TestData {
  const dir = options.dir ?? tempDir();
  const stores = openStores(dir, silentLogger(), options.migrations ?? builtMigrations);
  const { db } = stores;
  db.sql.exec(`CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS tally (n INTEGER NOT NULL);
    INSERT INTO tally SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM tally);`);
  const insert = db.sql.prepare('INSERT INTO items (body) VALUES (?)');
  const bump = db.sql.prepare('UPDATE tally SET n = n + 1');
  writeFiles(dir, options.files ?? {});
  return {
    dir,
    stores,
    addItems(count, bytes = 64) {
      db.transaction(() => {
        for (let i = 0; i < count; i++) {
          insert.run(randomBytes(bytes));
          bump.run();
        }
      });
    },
    items: () => readItems(stores),
    close: () => void db.close(),
  };
}

export function readItems(stores: Stores): { id: number; body: string }[] {
  return stores.db.sql.prepare('SELECT id, hex(body) AS body FROM items ORDER BY id').all() as {
    id: number;
    body: string;
  }[];
}

export function writeFiles(dir: string, files: Record<string, Uint8Array | string>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), data);
  }
}

/** Files a backup holds and a restore brings back; `.tmp` and the rest must stay out. */
export function sampleFiles(): Record<string, Uint8Array | string> {
  return {
    'storage/pbc_1/rec1/photo_k2x9a0b1c3.jpg': randomBytes(300_000),
    'storage/pbc_1/rec1/notes_a1b2c3d4e5.txt': 'Lorem ipsum dolor sit amet. '.repeat(2000),
    'storage/pbc_1/rec2/übersicht_q1w2e3r4t5.md': '# Übersicht\n',
    'storage/pbc_1/rec2/empty_z0z0z0z0z0.bin': new Uint8Array(0),
    'storage/pbc_2/rec9/thumbs_a_0123456789.png/100x100_a_0123456789.png': randomBytes(2_000),
  };
}

/** Not part of a backup, and left in place by a restore. */
export function sideFiles(): Record<string, Uint8Array | string> {
  return {
    'storage/.tmp/upload_abcdefghij': 'an upload in progress',
    'auxiliary.db': 'the logs',
    'backups/older.zip': 'an older backup',
  };
}

/**
 * Every file and folder under `dir`, path → SHA-256 of its bytes ('dir' for folders): equal trees
 * have the same names, the same bytes and no other file.
 */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string, prefix: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = prefix + entry.name;
      if (entry.isDirectory()) {
        out[path] = 'dir';
        walk(join(at, entry.name), `${path}/`);
      } else {
        out[path] = createHash('sha256')
          .update(readFileSync(join(at, entry.name)))
          .digest('hex');
      }
    }
  };
  walk(dir, '');
  return out;
}

/** Only the entries of `files` whose path passes `keep`. */
export function pick(files: Record<string, string>, keep: (path: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([path]) => keep(path)));
}

/** The entries of a zip, read by fflate (a reader independent of ours). */
export function unzipFile(file: string): Record<string, Uint8Array> {
  return unzipSync(readFileSync(file));
}

/** A manifest listing `entries` (all but manifest.json), with `changes` applied. */
export function manifestFor(
  entries: Record<string, Uint8Array>,
  changes: Partial<BackupManifest> = {},
): Uint8Array {
  const manifest: BackupManifest = {
    format: 1,
    app: 'hearth',
    version: VERSION,
    createdAt: '2026-11-22T02:30:00.000Z',
    migrations: [...BUILD.knownMigrations],
    entries: Object.entries(entries)
      .filter(([path]) => path !== MANIFEST_ENTRY)
      .map(([path, data]) => ({
        path,
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      })),
    ...changes,
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** A zip of `entries` by fflate; `attrs` sets Unix modes (os 3) by name. */
export function zipOf(entries: Record<string, Uint8Array>, attrs: Record<string, number> = {}): Uint8Array {
  const input: Zippable = {};
  for (const [name, data] of Object.entries(entries)) {
    input[name] = [data, attrs[name] === undefined ? {} : { os: 3, attrs: (attrs[name] << 16) >>> 0 }];
  }
  return zipSync(input, { level: 6 });
}

/** Byte offsets of an entry's central record and local header in a zip fflate wrote (no ZIP64). */
export function locate(zip: Uint8Array, name: string): { central: number; local: number } {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let at = view.getUint32(zip.length - 22 + 16, true);
  while (view.getUint32(at, true) === 0x02014b50) {
    const nameLength = view.getUint16(at + 28, true);
    if (Buffer.from(zip.subarray(at + 46, at + 46 + nameLength)).toString('utf8') === name) {
      return { central: at, local: view.getUint32(at + 42, true) };
    }
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  throw new Error(`no entry ${name}`);
}

/** Rewrites an entry's declared uncompressed size in both its central record and local header. */
export function declareSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const { central, local } = locate(out, name);
  view.setUint32(central + 24, size, true);
  view.setUint32(local + 22, size, true);
  return out;
}
