import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { backupsDir } from './backups.manifest';
import { AUTO_PREFIX, Backups } from './backups.service';
import { BUILD, removeTempDirs, testData } from './backups.testing';

afterEach(removeTempDirs);

describe('Backups', () => {
  test('stale .partial files of killed backups go; fresh ones (a backup being made) and backups stay', async () => {
    const data = testData();
    const backups = new Backups({ db: data.stores.db, dataDir: data.dir, build: BUILD });
    const dir = backupsDir(data.dir);
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    const stale = join(dir, 'hearth_backup_1.zip.a1b2.partial');
    const staleDb = join(dir, 'hearth_backup_1.zip.a1b2.db.partial');
    const fresh = join(dir, 'hearth_backup_2.zip.c3d4.partial');
    for (const file of [stale, staleDb, fresh]) writeFileSync(file, 'x');
    const twoHoursAgo = (now - 2 * 60 * 60 * 1000) / 1000;
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    utimesSync(staleDb, twoHoursAgo, twoHoursAgo);
    await backups.create('kept.zip');

    expect((await backups.removeStalePartials(now)).sort()).toEqual([
      'hearth_backup_1.zip.a1b2.db.partial',
      'hearth_backup_1.zip.a1b2.partial',
    ]);
    expect(existsSync(fresh)).toBe(true);
    expect((await backups.list()).map((b) => b.key)).toEqual(['kept.zip']);
    data.close();
  });

  test('prune keeps the newest automatic backups and never touches ones made by hand', async () => {
    const data = testData();
    const backups = new Backups({ db: data.stores.db, dataDir: data.dir, build: BUILD });
    const t0 = Date.parse('2026-11-22T10:00:00Z');
    for (const [i, name] of [
      'manual.zip',
      `${AUTO_PREFIX}a.zip`,
      `${AUTO_PREFIX}b.zip`,
      `${AUTO_PREFIX}c.zip`,
    ].entries()) {
      await backups.create(name);
      const at = (t0 + i * 60_000) / 1000;
      utimesSync(join(backupsDir(data.dir), name), at, at);
    }
    expect(await backups.prune(2)).toEqual([`${AUTO_PREFIX}a.zip`]);
    expect((await backups.list()).map((b) => b.key)).toEqual([
      `${AUTO_PREFIX}c.zip`,
      `${AUTO_PREFIX}b.zip`,
      'manual.zip',
    ]);
    data.close();
  });
});
