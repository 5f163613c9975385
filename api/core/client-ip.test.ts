import { describe, expect, test } from 'vitest';
import { clientIp, normaliseIp, resolveClientIp } from './client-ip';
import type { ApiContext } from './http';
import { parseSettingText } from './settings';
import { coreSettings } from './settings.defs';

const XFF = ['X-Forwarded-For'];

/** A context as @hono/node-server hands it over: Node's request with its socket and raw headers. */
function context(remoteAddress: string | undefined, rawHeaders: string[] = []): ApiContext {
  return { env: { incoming: { socket: { remoteAddress }, rawHeaders } } } as unknown as ApiContext;
}

describe('clientIp', () => {
  test('no trusted header configured: the socket address, whatever headers the client sent', () => {
    const c = context('203.0.113.9', ['X-Forwarded-For', '198.51.100.1', 'X-Real-IP', '198.51.100.2']);
    expect(clientIp(c, [], false)).toBe('203.0.113.9');
    expect(clientIp(c, [], true)).toBe('203.0.113.9');
  });

  test('IPv4-mapped socket addresses are given as IPv4; IPv6 ones as they are', () => {
    expect(clientIp(context('::ffff:127.0.0.1'), [], false)).toBe('127.0.0.1');
    expect(clientIp(context('::FFFF:10.1.2.3'), XFF, false)).toBe('10.1.2.3');
    expect(clientIp(context('2001:db8::1'), [], false)).toBe('2001:db8::1');
    expect(clientIp(context('::1'), [], false)).toBe('::1');
  });

  test('no connection (in-process requests): no client', () => {
    expect(clientIp({ env: undefined } as unknown as ApiContext, XFF, false)).toBeUndefined();
    expect(clientIp({ env: {} } as unknown as ApiContext, XFF, false)).toBeUndefined();
    expect(clientIp(context(undefined), XFF, false)).toBeUndefined();
  });

  test('a configured X-Forwarded-For with several IPs: the rightmost, or the leftmost with the flag', () => {
    const c = context('127.0.0.1', ['x-forwarded-for', '198.51.100.1, 10.0.0.2,192.0.2.7']);
    expect(clientIp(c, XFF, false)).toBe('192.0.2.7');
    expect(clientIp(c, XFF, true)).toBe('198.51.100.1');
  });

  test('configured but absent or empty: the socket address', () => {
    expect(clientIp(context('::ffff:127.0.0.1', ['Host', 'x']), XFF, false)).toBe('127.0.0.1');
    expect(clientIp(context('127.0.0.1', ['X-Forwarded-For', '']), XFF, false)).toBe('127.0.0.1');
  });
});

describe('resolveClientIp', () => {
  test('header names match case-insensitively', () => {
    expect(resolveClientIp('127.0.0.1', ['X-FORWARDED-FOR', '192.0.2.1'], ['x-forwarded-for'], false)).toBe(
      '192.0.2.1',
    );
  });

  test('garbage is no IP: the socket address', () => {
    for (const value of [
      'unknown',
      'nonsense, <script>',
      '1.2.3.4:80',
      '[2001:db8::1]',
      '999.1.1.1',
      ' , ',
    ]) {
      expect(resolveClientIp('::ffff:127.0.0.1', ['X-Forwarded-For', value], XFF, false)).toBe('127.0.0.1');
      expect(resolveClientIp('::ffff:127.0.0.1', ['X-Forwarded-For', value], XFF, true)).toBe('127.0.0.1');
    }
  });

  test('entries that are no IP are passed over, as PocketBase does', () => {
    const raw = ['X-Forwarded-For', 'junk, 198.51.100.1, 192.0.2.7, unknown'];
    expect(resolveClientIp('127.0.0.1', raw, XFF, false)).toBe('192.0.2.7');
    expect(resolveClientIp('127.0.0.1', raw, XFF, true)).toBe('198.51.100.1');
  });

  test('IPv6 and IPv4-mapped entries', () => {
    expect(resolveClientIp('127.0.0.1', ['X-Forwarded-For', '2001:db8::7'], XFF, false)).toBe('2001:db8::7');
    expect(resolveClientIp('127.0.0.1', ['X-Forwarded-For', '::ffff:192.0.2.7'], XFF, false)).toBe(
      '192.0.2.7',
    );
  });

  test('the first configured header present wins; one without a valid IP is passed over', () => {
    const raw = ['X-Real-IP', '192.0.2.1', 'X-Forwarded-For', '192.0.2.2'];
    expect(resolveClientIp('127.0.0.1', raw, ['CF-Connecting-IP', 'X-Real-IP', ...XFF], false)).toBe(
      '192.0.2.1',
    );
    expect(resolveClientIp('127.0.0.1', raw, [...XFF, 'X-Real-IP'], false)).toBe('192.0.2.2');
    const bad = ['X-Real-IP', 'garbage', 'X-Forwarded-For', '192.0.2.2'];
    expect(resolveClientIp('127.0.0.1', bad, ['X-Real-IP', ...XFF], false)).toBe('192.0.2.2');
  });

  test('a repeated header: only its last line counts (the one the proxy wrote)', () => {
    const raw = ['X-Forwarded-For', '6.6.6.6', 'X-Forwarded-For', '198.51.100.1, 192.0.2.7'];
    expect(resolveClientIp('127.0.0.1', raw, XFF, false)).toBe('192.0.2.7');
    expect(resolveClientIp('127.0.0.1', raw, XFF, true)).toBe('198.51.100.1');
  });
});

test('normaliseIp', () => {
  expect(normaliseIp('::ffff:1.2.3.4')).toBe('1.2.3.4');
  expect(normaliseIp('::ffff:abcd')).toBe('::ffff:abcd');
  expect(normaliseIp('1.2.3.4')).toBe('1.2.3.4');
});

test('the settings take what docs/operating.md tells `hearth config set`, and refuse non-names', () => {
  expect(parseSettingText(coreSettings, 'trustedProxy.headers', '["X-Forwarded-For"]')).toEqual(XFF);
  expect(parseSettingText(coreSettings, 'trustedProxy.useLeftmostIP', 'true')).toBe(true);
  expect(() =>
    parseSettingText(coreSettings, 'trustedProxy.headers', '["X-Forwarded-For: 1.2.3.4"]'),
  ).toThrow(/Must be an HTTP header name/);
});
