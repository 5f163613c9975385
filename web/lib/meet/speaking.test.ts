import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SpeakingDetector, type SpeakingOptions } from './speaking';

const OPTIONS = { on: 0.5, off: 0.2, holdMs: 1000 };

/** Feeds `[level, at]` samples to a fresh detector; returns the state after each one. */
function run(samples: [number, number][], options: SpeakingOptions = OPTIONS): boolean[] {
  const detector = new SpeakingDetector(options);
  return samples.map(([level, at]) => detector.sample(level, at));
}

describe('SpeakingDetector', () => {
  test.each<{ why: string; samples: [number, number][]; states: boolean[] }>([
    {
      why: 'silence stays dark',
      samples: [
        [0, 0],
        [0.1, 100],
      ],
      states: [false, false],
    },
    { why: 'a level at `on` lights', samples: [[0.5, 0]], states: [true] },
    {
      why: 'a level just under `on` does not light',
      samples: [
        [0.49, 0],
        [0.3, 5000],
      ],
      states: [false, false],
    },
    {
      why: 'a short dip between words keeps it lit',
      samples: [
        [0.8, 0],
        [0.1, 100],
        [0, 900],
        [0.6, 1000],
        [0.1, 1500],
        [0.1, 2400],
      ],
      states: [true, true, true, true, true, true],
    },
    {
      why: 'it goes out once the level stayed under `off` for holdMs',
      samples: [
        [0.8, 0],
        [0.1, 100],
        [0.1, 1099],
        [0.1, 1100],
        [0.1, 1200],
      ],
      states: [true, true, true, false, false],
    },
    {
      why: 'a level between off and on keeps it lit and restarts the quiet time',
      samples: [
        [0.8, 0],
        [0.1, 100],
        [0.3, 600],
        [0.1, 1000],
        [0.1, 1100],
        [0.1, 1999],
        [0.1, 2000],
      ],
      states: [true, true, true, true, true, true, false],
    },
    {
      why: 'a level exactly at `off` is not quiet',
      samples: [
        [0.8, 0],
        [0.2, 100],
        [0.2, 5000],
        [0.19, 6000],
        [0.19, 7000],
      ],
      states: [true, true, true, true, false],
    },
    {
      why: 'a level between off and on keeps it dark',
      samples: [
        [0.3, 0],
        [0.45, 100],
        [0.3, 5000],
      ],
      states: [false, false, false],
    },
    {
      why: 'NaN counts as silence',
      samples: [
        [Number.NaN, 0],
        [0.8, 100],
        [Number.NaN, 200],
        [Number.NaN, 1200],
      ],
      states: [false, true, true, false],
    },
    {
      why: 'it lights again after going out',
      samples: [
        [0.8, 0],
        [0, 100],
        [0, 1100],
        [0.7, 1200],
        [0, 1300],
        [0, 2299],
      ],
      states: [true, true, false, true, true, true],
    },
  ])('$why', ({ samples, states }) => {
    expect(run(samples)).toEqual(states);
  });

  test('defaults: lights at 0.06, holds 700 ms under 0.03', () => {
    const defaults = {};
    expect(run([[0.059, 0]], defaults)).toEqual([false]);
    expect(
      run(
        [
          [0.06, 0],
          [0.04, 100],
          [0.04, 5000],
          [0.029, 5100],
          [0.029, 5799],
          [0.029, 5800],
        ],
        defaults,
      ),
    ).toEqual([true, true, true, true, true, false]);
  });

  test('`speaking` reads the last state; reset() turns it off until the next loud sample', () => {
    const detector = new SpeakingDetector(OPTIONS);
    expect(detector.speaking).toBe(false);
    detector.sample(0.9, 0);
    expect(detector.speaking).toBe(true);
    detector.reset();
    expect(detector.speaking).toBe(false);
    expect(detector.sample(0.3, 100)).toBe(false);
    expect(detector.sample(0.9, 200)).toBe(true);
    expect(detector.sample(0.1, 300)).toBe(true);
    expect(detector.sample(0.1, 1300)).toBe(false);
  });

  test('it lights only on a loud sample, and goes out only after holdMs of quiet samples', () => {
    const level = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(Number.NaN));
    const quiet = (x: number) => !(x >= OPTIONS.off);
    fc.assert(
      fc.property(fc.array(fc.tuple(level, fc.integer({ min: 0, max: 800 })), { maxLength: 60 }), (steps) => {
        const detector = new SpeakingDetector(OPTIONS);
        const seen: { level: number; at: number }[] = [];
        let at = 0;
        let was = false;
        for (const [lvl, gap] of steps) {
          at += gap;
          seen.push({ level: lvl, at });
          const now = detector.sample(lvl, at);
          if (lvl >= OPTIONS.on) expect(now).toBe(true);
          if (!was && now) expect(lvl).toBeGreaterThanOrEqual(OPTIONS.on);
          // The run of quiet samples ending here, and how long it lasted.
          let start = seen.length - 1;
          while (start > 0 && quiet(seen[start - 1]!.level)) start--;
          const quietFor = quiet(lvl) ? at - seen[start]!.at : -1;
          if (was && !now) expect(quietFor).toBeGreaterThanOrEqual(OPTIONS.holdMs);
          if (now) expect(quietFor).toBeLessThan(OPTIONS.holdMs);
          was = now;
        }
      }),
    );
  });
});
