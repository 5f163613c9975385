import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { TestSocket } from '../../api/meet/meet.testing';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import { startSdkServer, type SdkServer } from './server';

// The TURN credentials Hearth issues, checked by a real coturn (issue 8): `turnserver` with
// use-auth-secret and the same static-auth-secret as meet.turn.secret, and coturn's own client
// allocating a relay with them. Debian's coturn package is installed by the Vitest setup
// (tests/support/vitest-setup.ts) for the STUN tests; turnserver comes with it.

const TURNSERVER = '/usr/bin/turnserver';
const UCLIENT = '/usr/bin/turnutils_uclient';
const SECRET = 'a-long-random-static-auth-secret';

let s: SdkServer;
let turn: ChildProcess | undefined;
let port = 0;
let dir = '';

/** A UDP port free a moment ago (turnserver needs a number). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port: free } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return free;
}

beforeAll(async () => {
  s = await startSdkServer();
  await s.admin.settings.update({ rateLimits: { enabled: false, rules: DEFAULT_RATE_LIMIT_RULES } });
  dir = mkdtempSync(join(tmpdir(), 'hearth-turn-'));
  writeFileSync(join(dir, 'turnserver.conf'), ''); // not the system's /etc/turnserver.conf
  port = await freeUdpPort();
  turn = spawn(
    TURNSERVER,
    [
      '-c',
      join(dir, 'turnserver.conf'),
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--db=${join(dir, 'turndb')}`,
      '--listening-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--relay-ip=127.0.0.1',
      '--use-auth-secret',
      `--static-auth-secret=${SECRET}`,
      '--realm=hearth.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers', // the test's peer is on loopback; never in production
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`turnserver did not start:\n${log}`)), 15_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Total General servers/.test(log)) {
        clearTimeout(timer);
        setTimeout(resolve, 300); // its auth thread comes up right after
      }
    };
    turn!.stdout!.on('data', read);
    turn!.stderr!.on('data', read);
    turn!.once('error', reject);
  });
  await s.admin.settings.update({
    meet: { 'turn.urls': [`turn:127.0.0.1:${port}?transport=udp`], 'turn.secret': SECRET, 'turn.ttl': 600 },
  });
});

afterAll(async () => {
  turn?.kill();
  await s?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Turn {
  urls: string[];
  username: string;
  credential: string;
}

async function makeRoom(): Promise<string> {
  const { client } = await s.signUp();
  const room = (await client.send('/api/hearth/meet/rooms', { method: 'POST', body: {} })) as {
    name: string;
  };
  return room.name;
}

/** The TURN entry of the ICE servers a guest gets in `welcome` when it joins `room`. */
async function turnEntry(room: string): Promise<Turn> {
  const socket = await TestSocket.open(s.url, room);
  const { iceServers } = await socket.join('Guest');
  await socket.close(1000);
  return iceServers.find((e) => Array.isArray(e.urls)) as Turn;
}

/**
 * Allocates a relay with coturn's client and sends a few packets through it; true when they came
 * back. Asynchronous: the Hearth under test runs in this process and must keep answering meanwhile.
 */
async function relayWorks(username: string, credential: string): Promise<boolean> {
  const args = [
    '-u',
    username,
    '-w',
    credential,
    '-p',
    String(port),
    '-n',
    '2',
    '-m',
    '1',
    '-l',
    '100',
    '-y',
  ];
  const client = spawn(UCLIENT, [...args, '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  client.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  client.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const timer = setTimeout(() => client.kill(), 20_000);
  await new Promise((resolve) => client.once('close', resolve));
  clearTimeout(timer);
  if (/Cannot complete Allocation/.test(out)) return false;
  const received = /tot_recv_msgs=(\d+)/g;
  let last = 0;
  for (let m = received.exec(out); m; m = received.exec(out)) last = Number(m[1]);
  if (last === 0) throw new Error(`turnutils_uclient neither allocated nor failed clearly:\n${out}`);
  return true;
}

test('coturn relays with the credential Hearth issued, and not with a forged one', async () => {
  const entry = await turnEntry(await makeRoom());
  expect(entry.urls).toEqual([`turn:127.0.0.1:${port}?transport=udp`]);
  expect(await relayWorks(entry.username, entry.credential)).toBe(true);
  // The same username with a credential made with another secret, and another user's name.
  const [expiry] = entry.username.split(':');
  expect(await relayWorks(entry.username, 'bm90IHRoZSByaWdodCBITUFD')).toBe(false);
  expect(await relayWorks(`${expiry}:someone-else`, entry.credential)).toBe(false);
});

test('coturn refuses a credential past its ttl', async () => {
  const room = await makeRoom();
  // Hearth's clock an hour behind: it issues a credential that expired 50 minutes ago (ttl 600 s).
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() - 3600_000);
  let entry: Turn;
  try {
    entry = await turnEntry(room);
  } finally {
    vi.useRealTimers();
  }
  expect(Number(entry.username.split(':')[0])).toBeLessThan(Date.now() / 1000);
  expect(await relayWorks(entry.username, entry.credential)).toBe(false);
});
