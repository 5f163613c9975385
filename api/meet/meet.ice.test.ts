import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { hostName, turnCredential } from './meet.ice';
import { newRoomName } from './meet.ids';
import { sameOrigin } from './meet.upgrade';

describe('turnCredential (TURN REST API)', () => {
  test('a fixed vector, computed with openssl', () => {
    // echo -n "1700000600:alice" | openssl dgst -sha1 -hmac north -binary | base64
    expect(turnCredential('north', 'alice', 600, 1_700_000_000_999)).toEqual({
      username: '1700000600:alice',
      credential: 'gthUwOpcRoLI0MMCziCEBOWYnpo=',
    });
  });
});

describe('hostName', () => {
  test.each([
    ['example.org', 'example.org'],
    ['Example.ORG:8090', 'example.org'],
    ['example.org.', 'example.org'],
    ['10.0.0.1:80', '10.0.0.1'],
    ['[2001:db8::1]:8443', '[2001:db8::1]'],
    ['[::1]', '[::1]'],
    [undefined, null],
    ['', null],
    ['evil.example/x', null],
    ['a b', null],
    ['example.org:port', null],
    ['[::1]x', null],
    ['[not-ip]:1', null],
    ['example.org?x=1', null],
  ])('%j → %j', (header, expected) => {
    expect(hostName(header)).toBe(expected);
  });
});

describe('sameOrigin', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  test.each([
    [{ host: 'meet.example.org' }, true],
    [{ host: 'meet.example.org', origin: 'https://meet.example.org' }, true],
    [{ host: 'meet.example.org', origin: 'http://meet.example.org' }, true],
    [{ host: 'meet.example.org:443', origin: 'https://meet.example.org' }, true],
    [{ host: '127.0.0.1:8090', origin: 'http://127.0.0.1:8090' }, true],
    [{ host: '[::1]:8090', origin: 'http://[::1]:8090' }, true],
    [{ host: 'Meet.Example.org', origin: 'https://meet.example.org' }, true],
    [{ host: 'meet.example.org', origin: 'https://evil.example' }, false],
    [{ host: 'meet.example.org', origin: 'https://meet.example.org.evil.example' }, false],
    [{ host: 'meet.example.org', origin: 'https://app.meet.example.org' }, false],
    [{ host: '127.0.0.1:8090', origin: 'http://127.0.0.1:8091' }, false],
    [{ host: 'meet.example.org:8443', origin: 'https://meet.example.org' }, false],
    [{ host: 'meet.example.org', origin: 'null' }, false],
    [{ host: 'meet.example.org', origin: 'chrome-extension://meet.example.org' }, false],
    [{ origin: 'https://meet.example.org' }, false],
  ])('%j → %s', (headers, expected) => {
    expect(sameOrigin(req(headers), false)).toBe(expected);
  });

  test('X-Forwarded-Host counts only when a proxy is trusted', () => {
    const headers = {
      host: '127.0.0.1:8090',
      origin: 'https://meet.example.org',
      'x-forwarded-host': 'meet.example.org',
    };
    expect(sameOrigin(req(headers), false)).toBe(false);
    expect(sameOrigin(req(headers), true)).toBe(true);
  });
});

test('room names: 12 characters of [a-z0-9] in groups of four, each character as likely', () => {
  const counts = new Map<string, number>();
  const names = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const name = newRoomName();
    expect(name).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    names.add(name);
    for (const c of name.replace(/-/g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  expect(names.size).toBe(20_000);
  expect(counts.size).toBe(36);
  // 240 000 draws, 6 667 expected per character (σ ≈ 80). Taking byte % 36 without drawing again
  // would give four characters 8/256 instead of 7/256: about 830 more each.
  for (const n of counts.values()) expect(Math.abs(n - 240_000 / 36)).toBeLessThan(400);
});
