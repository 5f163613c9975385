import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { silentLogger } from '../core/logger';
import { openStores, type Stores } from '../main';
import { Attr, BINDING, decodeStun, decodeXorAddress, encodeStun, StunClass } from '../meet/stun.message';
import { run } from './main';
import { superviseStun, type StunSupervisor } from './serve';

// The STUN listener as `hearth serve` runs it (issue 8): where meet.stun.* put it, restarted when
// they change, a bind failure only a warning, closed on shutdown. api/meet/stun.test.ts checks
// the protocol itself.

/**
 * Sends a Binding request from a fresh socket; resolves to the address the answer maps us to, or
 * null after `silenceMs` without one.
 */
function askStun(port: number, host = '127.0.0.1', silenceMs = 1500): Promise<string | null> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const request = encodeStun({
    method: BINDING,
    class: StunClass.request,
    transactionId: randomBytes(12),
    attributes: [],
  });
  return new Promise((resolve, reject) => {
    const done = (value: string | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(null), silenceMs);
    socket.on('error', reject);
    socket.on('message', (answer) => {
      const m = decodeStun(answer);
      const xma = m?.attributes.find((a) => a.type === Attr.XOR_MAPPED_ADDRESS);
      if (!m || m.class !== StunClass.success || !xma) return;
      const mapped = decodeXorAddress(xma.value, m.transactionId);
      done(mapped && `${mapped.address}:${mapped.port}`);
    });
    socket.send(request, port, host);
  });
}

/** A UDP port nobody listens on now (the kernel's pick, released at once). */
async function freePort(host = '127.0.0.1'): Promise<number> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind({ address: host, port: 0 }, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** True when `port` can be bound: the listener let go of it. */
async function isFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind({ address: host, port }, () => socket.close(() => resolve(true)));
  });
}

/** A pino logger whose lines land in `lines`. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const logged = (pattern: RegExp, level?: number) =>
    lines.some((l) => pattern.test(l.msg) && (level === undefined || l.level === level));
  return { logger, lines, logged };
}

describe('superviseStun: the listener follows meet.stun.*', () => {
  let dir: string;
  let stores: Stores;
  let supervisor: StunSupervisor | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-stun-'));
    stores = openStores(dir, silentLogger());
  });
  afterEach(async () => {
    await supervisor?.close();
    supervisor = undefined;
  });
  afterAll(async () => {
    await stores.bus.close();
    stores.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('listens on meet.stun.port at the HTTP address, moves when the port changes, stops when disabled', async () => {
    const [first, second] = [await freePort(), await freePort()];
    stores.settings.set({ 'meet.stun.enabled': true, 'meet.stun.port': first, 'meet.stun.host': '' });
    const { logger, logged } = capturingLogger();
    supervisor = superviseStun(stores, '127.0.0.1', logger);
    await supervisor.ready;
    expect(logged(new RegExp(`^STUN listening on udp 127\\.0\\.0\\.1:${first}$`))).toBe(true);
    expect(await askStun(first)).toMatch(/^127\.0\.0\.1:\d+$/);

    stores.settings.set({ 'meet.stun.port': second });
    await vi.waitFor(() => expect(logged(new RegExp(`udp 127\\.0\\.0\\.1:${second}$`))).toBe(true));
    expect(await askStun(second)).toMatch(/^127\.0\.0\.1:/);
    expect(await isFree(first)).toBe(true);

    stores.settings.set({ 'meet.stun.enabled': false });
    await vi.waitFor(() => expect(logged(/^STUN listener stopped$/)).toBe(true));
    expect(await isFree(second)).toBe(true);
  });

  test('meet.stun.host wins over the HTTP address', async () => {
    const port = await freePort();
    stores.settings.set({ 'meet.stun.enabled': true, 'meet.stun.port': port, 'meet.stun.host': '127.0.0.1' });
    supervisor = superviseStun(stores, '0.0.0.0', silentLogger());
    await supervisor.ready;
    expect(await isFree(port, '127.0.0.2')).toBe(true); // not bound on every interface
    expect(await askStun(port)).toMatch(/^127\.0\.0\.1:/);
  });

  test('a port in use is a warning, not a failure; the next change of the settings tries again', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind({ address: '127.0.0.1', port: 0 }, resolve));
    const busy = taken.address().port;
    try {
      stores.settings.set({ 'meet.stun.enabled': true, 'meet.stun.port': busy, 'meet.stun.host': '' });
      const { logger, logged } = capturingLogger();
      supervisor = superviseStun(stores, '127.0.0.1', logger);
      await supervisor.ready; // resolves: serving goes on
      expect(
        logged(new RegExp(`^STUN is not available: udp 127\\.0\\.0\\.1 port ${busy}: .*EADDRINUSE`), 40),
      ).toBe(true);

      const free = await freePort();
      stores.settings.set({ 'meet.stun.port': free });
      await vi.waitFor(() => expect(logged(new RegExp(`udp 127\\.0\\.0\\.1:${free}$`))).toBe(true));
      expect(await askStun(free)).toMatch(/^127\.0\.0\.1:/);
    } finally {
      taken.close();
    }
  });

  test('a change written by another process (hearth config set) is picked up too', async () => {
    const [first, second] = [await freePort(), await freePort()];
    stores.settings.set({ 'meet.stun.enabled': true, 'meet.stun.port': first, 'meet.stun.host': '' });
    const { logger, logged } = capturingLogger();
    supervisor = superviseStun(stores, '127.0.0.1', logger, { recheckMs: 50 });
    await supervisor.ready;
    // A second connection, as the CLI opens: its write publishes no event in this process.
    const cli = openStores(dir, silentLogger());
    try {
      cli.settings.set({ 'meet.stun.port': second });
    } finally {
      await cli.bus.close();
      cli.db.close();
    }
    await vi.waitFor(() => expect(logged(new RegExp(`udp 127\\.0\\.0\\.1:${second}$`))).toBe(true));
    expect(await askStun(second)).toMatch(/^127\.0\.0\.1:/);
  });

  test('close() frees the port, and later changes start nothing', async () => {
    const port = await freePort();
    stores.settings.set({ 'meet.stun.enabled': true, 'meet.stun.port': port, 'meet.stun.host': '' });
    const { logger, lines } = capturingLogger();
    const s = superviseStun(stores, '127.0.0.1', logger, { recheckMs: 20 });
    await s.ready;
    await s.close();
    expect(await isFree(port)).toBe(true);
    const count = lines.length;
    stores.settings.set({ 'meet.stun.port': await freePort() });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lines.length).toBe(count);
  });
});

/**
 * Runs `hearth serve` in this process (as `hearth` would, HTTP on a free loopback port) until
 * `stop()` sends it SIGTERM; the log stream is silenced and the console captured.
 */
async function serveInProcess(dir: string) {
  vi.stubEnv('HEARTH_LOG_LEVEL', 'silent');
  let printed = '';
  const capture = (chunk: unknown) => {
    printed += String(chunk);
    return true;
  };
  const spies = [
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
  ];
  const signalsBefore = new Set([...process.listeners('SIGTERM'), ...process.listeners('SIGINT')]);
  const restore = () => {
    for (const spy of spies) spy.mockRestore();
    vi.unstubAllEnvs();
    // serve's signal handlers outlive it in this process; the test runner's own must work again.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      for (const l of process.listeners(signal)) if (!signalsBefore.has(l)) process.off(signal, l);
    }
  };
  const serving = run(['serve', '--http', '127.0.0.1:0', '--dir', dir], '0.0.0-test');
  try {
    await vi.waitFor(() => expect(printed).toMatch(/Hearth is serving http:\/\/127\.0\.0\.1:\d+/), {
      timeout: 20_000,
    });
  } catch (err) {
    restore();
    throw err;
  }
  const url = /Hearth is serving (\S+)/.exec(printed)![1]!;
  return {
    url,
    async stop(): Promise<number> {
      process.emit('SIGTERM', 'SIGTERM');
      try {
        return await serving;
      } finally {
        restore();
      }
    },
  };
}

async function configSet(dir: string, key: string, value: string): Promise<void> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await run(['config', 'set', key, value, '--dir', dir], '0.0.0-test')).toBe(0);
  } finally {
    out.mockRestore();
  }
}

describe('hearth serve (in-process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-serve-stun-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('answers STUN on the configured port while it serves, and lets go of it on SIGTERM', async () => {
    const port = await freePort();
    await configSet(dir, 'meet.stun.port', String(port));
    const hearth = await serveInProcess(dir);
    try {
      expect(await askStun(port)).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      expect(await hearth.stop()).toBe(0);
    }
    expect(await isFree(port)).toBe(true);
  });

  test('serves HTTP when the STUN port is taken', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind({ address: '127.0.0.1', port: 0 }, resolve));
    try {
      await configSet(dir, 'meet.stun.port', String(taken.address().port));
      const hearth = await serveInProcess(dir);
      try {
        expect((await fetch(`${hearth.url}/api/health`)).status).toBe(200);
      } finally {
        expect(await hearth.stop()).toBe(0);
      }
    } finally {
      taken.close();
    }
  });
});
