import { describe, expect, test } from 'vitest';
import { isOwnDomain, isUriOfDomain } from './siwe';
import { NONCE_CAP, NonceStore } from './siwe.nonces';

// The parts of Sign-In with Ethereum that need no server: the nonce store (single use, expiry, bound)
// and which domains and URIs name this server. The HTTP behaviour is in tests/sdk/siwe.test.ts.

function clock(start = 1_000_000) {
  const c = { now: start, tick: (ms: number) => (c.now += ms) };
  return c;
}

describe('NonceStore', () => {
  test('issues 32 alphanumerics, each good once', () => {
    const store = new NonceStore(60_000, 10);
    const a = store.issue();
    expect(a).toMatch(/^[a-z0-9]{32}$/);
    expect(store.issue()).not.toBe(a);
    expect(store.consume(a)).toEqual(expect.any(Number));
    expect(store.consume(a)).toBeUndefined();
    expect(store.consume('never-issued')).toBeUndefined();
  });

  test('a nonce past its lifetime is refused, and swept at the next issue', () => {
    const c = clock();
    const store = new NonceStore(5 * 60_000, 10, () => c.now);
    const old = store.issue();
    const kept = store.issue();
    c.tick(5 * 60_000 - 1);
    expect(store.consume(kept)).toBe(1_000_000);
    c.tick(1);
    expect(store.consume(old)).toBeUndefined();
    const a = store.issue();
    c.tick(5 * 60_000);
    store.issue();
    expect(store.size).toBe(1);
    expect(store.consume(a)).toBeUndefined();
  });

  test('a flood keeps at most `cap` nonces, dropping the oldest', () => {
    const store = new NonceStore(60_000, 100);
    const first = store.issue();
    const issued = Array.from({ length: 10_000 }, () => store.issue());
    expect(store.size).toBe(100);
    expect(store.consume(first)).toBeUndefined();
    expect(store.consume(issued[issued.length - 100]!)).toEqual(expect.any(Number));
    expect(store.consume(issued[issued.length - 101]!)).toBeUndefined();
  });

  test('by default the cap is NONCE_CAP (100 000): that many are kept, one more drops the oldest', () => {
    expect(NONCE_CAP).toBe(100_000);
    const store = new NonceStore(60_000);
    expect(store.cap).toBe(NONCE_CAP);
    const waiting = store.issue();
    for (let i = 1; i < NONCE_CAP; i++) store.issue();
    expect(store.size).toBe(NONCE_CAP);
    const next = store.issue(); // one more pushes the oldest out
    expect(store.size).toBe(NONCE_CAP);
    expect(store.consume(waiting)).toBeUndefined();
    expect(store.consume(next)).toEqual(expect.any(Number));
  });
});

describe('domain and URI', () => {
  test.each([
    ['example.org', 'example.org', true],
    ['example.org:8443', 'example.org', true],
    ['EXAMPLE.org', 'example.org', true],
    ['www.example.org', 'example.org', false],
    ['example.org.evil.test', 'example.org', false],
    ['evil.test', 'example.org', false],
    ['user@example.org', 'example.org', false],
    ['example.org/path', 'example.org', false],
    ['', 'example.org', false],
    ['localhost:5173', 'localhost', true],
    ['127.0.0.1:8090', 'localhost', true],
    ['[::1]:8090', 'localhost', true],
    ['127.0.0.1', 'example.org', false],
    ['localhost', 'example.org', false],
  ])('domain %s for --domain %s: %s', (domain, configured, ok) => {
    expect(isOwnDomain(domain, configured)).toBe(ok);
  });

  test.each([
    ['https://example.org', 'example.org', undefined, true],
    ['https://example.org/app?x=1', 'example.org', undefined, true],
    ['http://localhost:5173/', 'localhost:5173', undefined, true],
    ['https://example.org:443/', 'example.org', undefined, true],
    ['https://example.org', 'example.org', 'https', true],
    ['http://example.org', 'example.org', 'https', false],
    ['https://example.org:8443/', 'example.org', undefined, false],
    ['https://evil.test/', 'example.org', undefined, false],
    ['https://user@example.org/', 'example.org', undefined, false],
    ['ftp://example.org/', 'example.org', undefined, false],
    ['did:key:z6Mk', 'example.org', undefined, false],
    ['not a uri', 'example.org', undefined, false],
  ])('URI %s for domain %s (scheme %s): %s', (uri, domain, scheme, ok) => {
    expect(isUriOfDomain(uri, domain, scheme)).toBe(ok);
  });
});
