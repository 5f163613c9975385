import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { backupsDir } from './backups.manifest';
import { silentLogger } from '../core/logger';
import { applyPendingRestore, AUTO_PREFIX, Backups } from './backups.service';
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
    await backups.create('manual.zip');
    const auto: string[] = [];
    for (let i = 0; i < 3; i++) {
      const at = new Date(Date.parse('2026-11-22T10:00:00Z') + i * 60_000);
      const made = await backups.create(undefined, at, { automatic: true });
      utimesSync(join(backupsDir(data.dir), made.name), at, at);
      auto.push(made.name);
    }
    expect(auto.every((name) => name.startsWith(AUTO_PREFIX))).toBe(true);
    expect(await backups.prune(2)).toEqual([auto[0]]);
    expect((await backups.list()).map((b) => b.key).sort()).toEqual([auto[1], auto[2], 'manual.zip'].sort());
    data.close();
  });

  test('a name of its own may not pose as an automatic backup (those are pruned)', async () => {
    const data = testData();
    const backups = new Backups({ db: data.stores.db, dataDir: data.dir, build: BUILD });
    expect(() => backups.create(`${AUTO_PREFIX}mine.zip`)).toThrow(/automatic backups/);
    expect(await backups.list()).toEqual([]);
    data.close();
  });

  test('a restore request found long after it was made is dropped, the data untouched', async () => {
    const data = testData();
    data.addItems(3);
    const backups = new Backups({ db: data.stores.db, dataDir: data.dir, build: BUILD });
    const made = await backups.create('old.zip');
    data.addItems(2);
    data.close();
    writeFileSync(
      join(data.dir, '.restore-pending.json'),
      JSON.stringify({ file: join(backupsDir(data.dir), made.name), requested: '2026-01-01T00:00:00.000Z' }),
    );
    expect(await applyPendingRestore(data.dir, BUILD, silentLogger())).toBe(false);
    expect(existsSync(join(data.dir, '.restore-pending.json'))).toBe(false);
    const again = testData({ dir: data.dir });
    expect(again.items()).toHaveLength(5);
    again.close();
  });
});
