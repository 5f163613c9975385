import { describe, expect, test } from 'vitest';
import { waitForRestart, watchServerStream } from './server-restart';

/** A clock that moves only when the waiter sleeps, and the health answers in order. */
function probe(answers: boolean[], wentDown: Promise<unknown> = new Promise(() => {})) {
  let t = 0;
  const checks: number[] = [];
  return {
    checks,
    probe: {
      wentDown,
      sleep: async (ms: number) => {
        t += ms;
      },
      now: () => t,
      isUp: async () => {
        checks.push(t);
        return answers.length > 1 ? answers.shift()! : (answers[0] ?? false);
      },
    },
  };
}

describe('waitForRestart', () => {
  test('a good answer from the old server does not count: the server must go away first', async () => {
    const { probe: p, checks } = probe([true, true, false, false, true]);
    expect(await waitForRestart(p, { intervalMs: 100, unseenDownMs: 10_000 })).toBe(true);
    expect(checks).toEqual([100, 200, 300, 400, 500]);
  });

  test('the stream ending counts as going away, even when no check failed', async () => {
    const { probe: p, checks } = probe([true], Promise.resolve());
    expect(await waitForRestart(p, { intervalMs: 100 })).toBe(true);
    expect(checks).toEqual([100]);
  });

  test('with no sign of the restart, the first good answer after a while counts', async () => {
    const { probe: p, checks } = probe([true]);
    expect(await waitForRestart(p, { intervalMs: 100, unseenDownMs: 300 })).toBe(true);
    expect(checks.at(-1)).toBe(300);
  });

  test('gives up when the server does not come back', async () => {
    const { probe: p } = probe([false]);
    expect(await waitForRestart(p, { intervalMs: 100, timeoutMs: 1000 })).toBe(false);
  });
});

/** Enough of EventSource for the watcher: listeners by event name, and close(). */
class FakeSource extends EventTarget {
  closed = false;
  close() {
    this.closed = true;
  }
}

describe('watchServerStream', () => {
  test('resolves once greeted, and ends at the first error', async () => {
    const source = new FakeSource();
    const watching = watchServerStream('http://x', 1000, () => source as unknown as EventSource);
    source.dispatchEvent(new Event('PB_CONNECT'));
    const watch = await watching;
    expect(watch).not.toBeNull();
    let ended = false;
    void watch!.ended.then(() => (ended = true));
    source.dispatchEvent(new Event('error'));
    await Promise.resolve();
    expect(ended).toBe(true);
    expect(source.closed).toBe(true);
  });

  test('is null when the server never greets', async () => {
    const source = new FakeSource();
    expect(await watchServerStream('http://x', 10, () => source as unknown as EventSource)).toBeNull();
    expect(source.closed).toBe(true);
  });
});
