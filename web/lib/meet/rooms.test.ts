import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { displayNames, hostKeys, signalingUrl } from './rooms';

const HOUR = 60 * 60 * 1000;
const T0 = new Date('2025-03-01T12:00:00Z').getTime();
const PREFIX = 'hearth.meet.hostKey.';

/**
 * A Web Storage in memory, its entries readable through `data`. The notes' `memoryStorage` has only
 * getItem/setItem; pruning host keys walks the store with `length`/`key()` and removes entries.
 */
function memoryLocalStorage(initial: Record<string, string> = {}): Storage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    get length() {
      return data.size;
    },
    key: (i) => [...data.keys()][i] ?? null,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, String(v)),
    removeItem: (k) => void data.delete(k),
    clear: () => data.clear(),
  };
}

const entry = (key: string, at: number) => JSON.stringify({ key, at });

describe('signalingUrl', () => {
  test.each([
    {
      protocol: 'http:',
      host: 'localhost:5173',
      name: 'quiet-fox-42',
      url: 'ws://localhost:5173/api/hearth/meet/quiet-fox-42',
    },
    {
      protocol: 'https:',
      host: 'hearth.example',
      name: 'standup',
      url: 'wss://hearth.example/api/hearth/meet/standup',
    },
    {
      protocol: 'https:',
      host: 'hearth.example:8443',
      name: 'a',
      url: 'wss://hearth.example:8443/api/hearth/meet/a',
    },
    { protocol: 'http:', host: '[::1]:8090', name: 'a', url: 'ws://[::1]:8090/api/hearth/meet/a' },
    {
      protocol: 'https:',
      host: 'hearth.example',
      name: 'a b/../c?d#é',
      url: 'wss://hearth.example/api/hearth/meet/a%20b%2F..%2Fc%3Fd%23%C3%A9',
    },
  ])('$protocol//$host, room $name → $url', ({ protocol, host, name, url }) => {
    expect(signalingUrl({ protocol, host }, name)).toBe(url);
  });
});

describe('hostKeys and displayNames with a localStorage', () => {
  let store: ReturnType<typeof memoryLocalStorage>;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    store = memoryLocalStorage();
    vi.stubGlobal('localStorage', store);
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  test('a host key set is read back, per room, and survives a new set of another room', () => {
    expect(hostKeys.get('r1')).toBeUndefined();
    hostKeys.set('r1', 'key-1');
    hostKeys.set('r2', 'key-2');
    expect(hostKeys.get('r1')).toBe('key-1');
    expect(hostKeys.get('r2')).toBe('key-2');
    hostKeys.set('r1', 'key-1b');
    expect(hostKeys.get('r1')).toBe('key-1b');
    expect(JSON.parse(store.data.get(`${PREFIX}r1`)!)).toEqual({ key: 'key-1b', at: T0 });
  });

  test('a key is kept for just under 24 hours and dropped at 24', () => {
    hostKeys.set('r1', 'key-1');
    vi.setSystemTime(T0 + 24 * HOUR - 1);
    expect(hostKeys.get('r1')).toBe('key-1');
    vi.setSystemTime(T0 + 24 * HOUR);
    expect(hostKeys.get('r1')).toBeUndefined();
    expect(store.data.has(`${PREFIX}r1`)).toBe(false);
  });

  test.each([
    ['not json', '{nope'],
    ['JSON null', 'null'],
    ['a JSON string', '"key-1"'],
    ['a key that is not a string', JSON.stringify({ key: 7, at: T0 })],
    ['a time that is not a number', JSON.stringify({ key: 'k', at: String(T0) })],
    ['no time', JSON.stringify({ key: 'k' })],
  ])('a corrupt entry (%s) reads as no key and is dropped', (_, raw) => {
    store.data.set(`${PREFIX}r1`, raw);
    expect(hostKeys.get('r1')).toBeUndefined();
    expect(store.data.has(`${PREFIX}r1`)).toBe(false);
  });

  test("set() prunes other rooms' expired and corrupt keys, and leaves everything else", () => {
    store.data.set(`${PREFIX}old`, entry('k-old', T0 - 25 * HOUR));
    store.data.set(`${PREFIX}broken`, '{nope');
    store.data.set(`${PREFIX}fresh`, entry('k-fresh', T0 - 23 * HOUR));
    store.data.set(`${PREFIX}mine`, entry('k-mine-old', T0 - 30 * HOUR));
    store.data.set('hearth.meet.name', 'Ada');
    store.data.set('unrelated', entry('x', 0));

    hostKeys.set('mine', 'k-mine');

    expect([...store.data.keys()].sort()).toEqual(
      [`${PREFIX}fresh`, `${PREFIX}mine`, 'hearth.meet.name', 'unrelated'].sort(),
    );
    expect(hostKeys.get('fresh')).toBe('k-fresh');
    expect(hostKeys.get('mine')).toBe('k-mine');
    expect(store.data.get('unrelated')).toBe(entry('x', 0));
  });

  test('the display name is remembered, empty until set', () => {
    expect(displayNames.get()).toBe('');
    displayNames.set('Ada Lovelace');
    expect(displayNames.get()).toBe('Ada Lovelace');
    expect(store.data.get('hearth.meet.name')).toBe('Ada Lovelace');
  });
});

describe('hostKeys and displayNames without a usable localStorage', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const installs: [string, () => void][] = [
    ['no localStorage at all', () => vi.stubGlobal('localStorage', undefined)],
    [
      'a localStorage that throws when touched (storage disabled)',
      () => {
        vi.stubGlobal('localStorage', undefined); // so that unstubAllGlobals() restores the original
        Object.defineProperty(globalThis, 'localStorage', {
          configurable: true,
          get() {
            throw new DOMException('The operation is insecure.', 'SecurityError');
          },
        });
      },
    ],
  ];

  test.each(installs)('%s: nothing is remembered, nothing throws', (_, install) => {
    install();
    expect(() => hostKeys.set('r1', 'key-1')).not.toThrow();
    expect(hostKeys.get('r1')).toBeUndefined();
    expect(() => displayNames.set('Ada')).not.toThrow();
    expect(displayNames.get()).toBe('');
  });
});
