import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { openDatabase } from '../core/db';
import { collectMigrations, migrationStatus } from '../core/migrate';
import { migrations as builtMigrations } from '../migrations';
import { createBackup, verifyBackup } from './backups.archive';
import { backupsDir, BackupError, defaultBackupName, MANIFEST_ENTRY } from './backups.manifest';
import { restoreBackup } from './backups.restore';
import {
  BUILD,
  pick,
  readItems,
  removeTempDirs,
  sampleFiles,
  sideFiles,
  tempDir,
  testData,
  tree,
  unzipFile,
  VERSION,
} from './backups.testing';

afterEach(removeTempDirs);

const NOW = new Date('2026-11-22T02:30:00Z');

describe('createBackup', () => {
  test('holds data.db, storage/ and a manifest; leaves out logs, uploads in progress and backups', async () => {
    const data = testData({ files: { ...sampleFiles(), ...sideFiles() } });
    data.addItems(10);
    const outFile = join(backupsDir(data.dir), defaultBackupName(NOW));
    const info = await createBackup({
      db: data.stores.db,
      dataDir: data.dir,
      outFile,
      version: VERSION,
      now: NOW,
    });
    data.close();

    expect(info.name).toBe('hearth_backup_20261122023000.zip');
    expect(readdirSync(backupsDir(data.dir)).sort()).toEqual([
      'hearth_backup_20261122023000.zip',
      'older.zip',
    ]);
    const entries = unzipFile(outFile);
    const storage = Object.keys(sampleFiles()).sort();
    expect(Object.keys(entries)).toEqual(['data.db', ...storage, MANIFEST_ENTRY]);
    expect(info.manifest).toMatchObject({
      format: 1,
      app: 'hearth',
      version: VERSION,
      createdAt: '2026-11-22T02:30:00.000Z',
      migrations: [...BUILD.knownMigrations].sort(),
    });
    expect(info.manifest.entries.map((e) => e.path)).toEqual(['data.db', ...storage]);
    expect(JSON.parse(Buffer.from(entries[MANIFEST_ENTRY]!).toString())).toEqual(info.manifest);
    expect(info.skipped).toEqual([]);
    expect(await verifyBackup(outFile, BUILD)).toEqual(info.manifest);
    // verify unpacks into a temporary folder beside the backup and removes it
    expect(readdirSync(backupsDir(data.dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test('refuses to overwrite a backup, and leaves no partial file when it fails', async () => {
    const data = testData({ files: sideFiles() });
    const outFile = join(backupsDir(data.dir), 'older.zip');
    await expect(
      createBackup({ db: data.stores.db, dataDir: data.dir, outFile, version: VERSION }),
    ).rejects.toMatchObject({ code: 'exists' });
    data.stores.db.sql.close(); // a closed connection: the snapshot fails
    await expect(
      createBackup({
        db: data.stores.db,
        dataDir: data.dir,
        outFile: join(backupsDir(data.dir), 'new.zip'),
        version: VERSION,
      }),
    ).rejects.toThrow();
    expect(readdirSync(backupsDir(data.dir))).toEqual(['older.zip']);
  });

  test('taken while two connections write: one consistent state, integrity ok, restorable', async () => {
    const data = testData();
    data.addItems(6000, 2048); // about 13 MB: the snapshot takes several steps
    const other = openDatabase(join(data.dir, 'data.db')); // another process, such as a CLI command
    let done = false;
    const written = { same: 0, other: 0 };
    const insertOther = other.sql.prepare('INSERT INTO items (body) VALUES (randomblob(100))');
    const bumpOther = other.sql.prepare('UPDATE tally SET n = n + 1');
    const writers = [
      (async () => {
        while (!done) {
          data.addItems(3);
          written.same += 3;
          await tick();
        }
      })(),
      (async () => {
        while (!done) {
          other.transaction(() => {
            insertOther.run();
            bumpOther.run();
          });
          written.other += 1;
          await tick();
        }
      })(),
    ];
    const outFile = join(backupsDir(data.dir), 'under-writes.zip');
    await createBackup({ db: data.stores.db, dataDir: data.dir, outFile, version: VERSION });
    const during = { ...written };
    done = true;
    await Promise.all(writers);
    other.close();
    data.close();
    expect(during.same).toBeGreaterThan(0);
    expect(during.other).toBeGreaterThan(0);

    await verifyBackup(outFile, BUILD); // integrity_check among the rest
    const restored = tempDir();
    await restoreBackup({ file: outFile, dataDir: restored, ...BUILD });
    const back = testData({ dir: restored });
    const { items, n } = back.stores.db.sql
      .prepare('SELECT (SELECT count(*) FROM items) AS items, (SELECT n FROM tally) AS n')
      .get() as { items: number; n: number };
    const integrity = back.stores.db.sql.pragma('integrity_check', { simple: true });
    back.close();
    // Every transaction added one item and counted it: a torn snapshot would disagree.
    expect(n).toBe(items);
    expect(items).toBeGreaterThanOrEqual(6000);
    expect(integrity).toBe('ok');
  });
});

describe('round trip', () => {
  test('a restore into another folder gives the same rows and files, byte for byte', async () => {
    const data = testData({ files: { ...sampleFiles(), ...sideFiles() } });
    data.addItems(500, 300);
    const rows = data.items();
    const outFile = join(backupsDir(data.dir), 'b.zip');
    await createBackup({ db: data.stores.db, dataDir: data.dir, outFile, version: VERSION });
    data.close();

    const target = join(tempDir(), 'new-home'); // made by the restore
    const manifest = await restoreBackup({ file: outFile, dataDir: target, ...BUILD });
    expect(manifest.entries).toHaveLength(1 + Object.keys(sampleFiles()).length);
    const isStorage = (p: string) => p.startsWith('storage/') && !p.startsWith('storage/.tmp');
    expect(pick(tree(target), isStorage)).toEqual(pick(tree(data.dir), isStorage));
    expect(readdirSync(target).sort()).toEqual(['data.db', 'storage']);
    const back = testData({ dir: target });
    expect(readItems(back.stores)).toEqual(rows);
    back.close();
  });

  test('a backup of an older Hearth is accepted and migrated forward at the next start', async () => {
    const older = builtMigrations.slice(0, -1);
    const data = testData({ migrations: older });
    data.addItems(3);
    const outFile = join(backupsDir(data.dir), 'old.zip');
    const info = await createBackup({ db: data.stores.db, dataDir: data.dir, outFile, version: '0.0.9' });
    data.close();
    expect(info.manifest.migrations).toHaveLength(older.length);

    const target = tempDir();
    await restoreBackup({ file: outFile, dataDir: target, ...BUILD });
    const back = testData({ dir: target }); // openStores, as a server starts
    const status = migrationStatus(back.stores.db, builtMigrations);
    expect(status.pending).toEqual([]);
    expect(status.applied).toHaveLength(builtMigrations.length);
    expect(back.items()).toHaveLength(3);
    back.close();
  });

  test('a backup of a newer Hearth is refused, saying so', async () => {
    const future = collectMigrations({
      './future/migrations/20991231235959_later.ts': {
        up: (sql: { exec(s: string): void }) => sql.exec('CREATE TABLE later (x)'),
      },
    });
    const data = testData({ migrations: [...builtMigrations, ...future] });
    const outFile = join(backupsDir(data.dir), 'new.zip');
    await createBackup({ db: data.stores.db, dataDir: data.dir, outFile, version: '0.2.0' });
    data.close();
    const target = tempDir();
    for (const check of [
      () => verifyBackup(outFile, BUILD),
      () => restoreBackup({ file: outFile, dataDir: target, ...BUILD }),
    ]) {
      const error = await check().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(BackupError);
      expect(error).toMatchObject({
        code: 'newer',
        message: expect.stringMatching(/newer Hearth.*\(future\/20991231235959_later\).*made it \(0\.2\.0\)/),
      });
    }
    expect(readdirSync(target)).toEqual([]);
    // The same data from the same version but a newer number is refused as well.
    const sameData = join(backupsDir(data.dir), 'plain.zip');
    const plain = testData({ migrations: builtMigrations, dir: tempDir() });
    await createBackup({ db: plain.stores.db, dataDir: plain.dir, outFile: sameData, version: '1.0.0' });
    plain.close();
    await expect(verifyBackup(sameData, BUILD)).rejects.toMatchObject({
      code: 'newer',
      message: expect.stringMatching(/1\.0\.0/),
    });
    expect(existsSync(join(target, 'data.db'))).toBe(false);
  });
});
