import { describe, expect, test } from 'vitest';
import { clientKey, WindowStore } from './ratelimit.windows';

function clock(start = 1000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const FIVE_PER_10S = { maxRequests: 5, windowMs: 10_000 };
const TWENTY_PER_HOUR = { maxRequests: 20, windowMs: 3_600_000 };

describe('fixed windows', () => {
  test('maxRequests pass, the next waits until the window closes, then the full allowance is back', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    for (let i = 0; i < 5; i++) expect(store.take(['k'], [FIVE_PER_10S]).wait).toBe(0);
    c.advance(4000);
    expect(store.take(['k'], [FIVE_PER_10S]).wait).toBe(6000);
    // Refused requests are not counted: they do not push the reopening back.
    c.advance(5999);
    expect(store.take(['k'], [FIVE_PER_10S]).wait).toBe(1);
    c.advance(1);
    for (let i = 0; i < 5; i++) expect(store.take(['k'], [FIVE_PER_10S]).wait).toBe(0);
    expect(store.take(['k'], [FIVE_PER_10S]).wait).toBe(10_000);
  });

  test('the window is anchored at its first request: a steady trickle is never shut out', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    const rule = { maxRequests: 3, windowMs: 10_000 };
    for (let i = 0; i < 30; i++) {
      expect(store.take(['k'], [rule]).wait, `request ${i}`).toBe(0);
      c.advance(4000);
    }
  });

  test('keys are independent', () => {
    const store = new WindowStore({ now: clock().now });
    const one = { maxRequests: 1, windowMs: 1000 };
    expect(store.take(['a'], [one]).wait).toBe(0);
    expect(store.take(['a'], [one]).wait).toBeGreaterThan(0);
    expect(store.take(['b'], [one]).wait).toBe(0);
  });

  test('several windows: a request must fit all of them, and a refused one counts in none', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    const keys = ['short', 'long'];
    const rules = [FIVE_PER_10S, TWENTY_PER_HOUR];
    let passed = 0;
    for (let second = 0; second < 3500; second++) {
      for (let i = 0; i < 10; i++) if (store.take(keys, rules).wait === 0) passed += 1;
      c.advance(1000);
    }
    expect(passed).toBe(20);
    // The short window alone would have let 5 through every 10 s.
    const wait = store.take(keys, rules).wait;
    expect(wait).toBeGreaterThan(0);
    c.advance(wait);
    expect(store.take(keys, rules).wait).toBe(0);
  });

  test('the longest wait of the full windows is the answer', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    const rules = [
      { maxRequests: 1, windowMs: 10_000 },
      { maxRequests: 1, windowMs: 60_000 },
    ];
    expect(store.take(['s', 'l'], rules).wait).toBe(0);
    c.advance(1000);
    expect(store.take(['s', 'l'], rules).wait).toBe(59_000);
  });

  test('a refund gives the request back to its windows', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    const one = { maxRequests: 1, windowMs: 10_000 };
    for (let i = 0; i < 100; i++) {
      const { wait, taken } = store.take(['k'], [one]);
      expect(wait).toBe(0);
      store.refund(taken);
    }
    expect(store.take(['k'], [one]).wait).toBe(0);
    expect(store.take(['k'], [one]).wait).toBeGreaterThan(0);
  });

  test('a refund after its window closed leaves the new window alone', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    const one = { maxRequests: 1, windowMs: 1000 };
    const first = store.take(['k'], [one]);
    c.advance(1000);
    expect(store.take(['k'], [one]).wait).toBe(0);
    store.refund(first.taken);
    expect(store.take(['k'], [one]).wait).toBeGreaterThan(0);
  });
});

describe('memory', () => {
  test('closed windows are dropped, at most once a minute', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now });
    const rule = { maxRequests: 1, windowMs: 1000 };
    for (let i = 0; i < 1000; i++) store.take([`k${i}`], [rule]);
    expect(store.size).toBe(1000);
    c.advance(60_000);
    store.take(['other'], [rule]);
    expect(store.size).toBe(1);
  });

  test('a client rotating addresses never grows the table past maxKeys', () => {
    const c = clock();
    const store = new WindowStore({ now: c.now, maxKeys: 1000 });
    const rule = { maxRequests: 5, windowMs: 3_600_000 };
    let peak = 0;
    for (let i = 0; i < 20_000; i++) {
      expect(store.take([`2001:db8:${i.toString(16)}::/64`], [rule]).wait).toBe(0);
      peak = Math.max(peak, store.size);
    }
    expect(peak).toBe(1000);
    // The oldest went first; a recent client keeps its count.
    for (let i = 0; i < 4; i++) store.take(['2001:db8:4e1f::/64'], [rule]);
    expect(store.take(['2001:db8:4e1f::/64'], [rule]).wait).toBeGreaterThan(0);
  });
});

describe('clientKey', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:aaaa::2', '2001:db8:0:0::/64'],
    ['2001:0db8:0000:0001:1234:5678:9abc:def0', '2001:db8:0:1::/64'],
    ['2001:DB8:0:1::', '2001:db8:0:1::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
  ])('%s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  test('addresses in one /64 are one client', () => {
    expect(clientKey('2001:db8:1:2:a::1')).toBe(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
  });
});
