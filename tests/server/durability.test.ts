import { describe, expect, test } from 'vitest';
import { crashCycle, prepareCrashDir } from '../support/crash.js';
import { removeDir, tempDir } from '../support/hearth.js';

/**
 * The durability promise of docs/operating.md: every write acknowledged with a 2xx survives a crash
 * of the process. bench/crash.js runs the same cycle 200 times.
 */
describe('durability under SIGKILL', () => {
  test(
    '20 cycles: every acknowledged write is there and integrity_check is ok',
    { timeout: 300_000 },
    async () => {
      const dir = tempDir('hearth-crash-');
      try {
        await prepareCrashDir(dir);
        let acknowledged = 0;
        let records = 0;
        for (let cycle = 0; cycle < 20; cycle++) {
          const result = await crashCycle(dir, { cycle, burstMs: 150 + ((cycle * 97) % 400) });
          expect(result.integrity).toBe('ok');
          expect(result.missing).toEqual([]);
          acknowledged += result.acknowledged;
          records += result.records;
        }
        // The bursts must really have written something, or the check above proves nothing.
        expect(acknowledged).toBeGreaterThan(1000);
        expect(records).toBeGreaterThan(500);
      } finally {
        removeDir(dir);
      }
    },
  );
});
