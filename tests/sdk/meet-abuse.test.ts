import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { TestSocket } from '../../api/meet/meet.testing';
import { sameOrigin } from '../../api/meet/meet.upgrade';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import {
  CLOSE,
  MAX_CHAT_HISTORY,
  MAX_CHAT_HISTORY_CHARS,
  MAX_MESSAGE_BYTES,
  parseServerMessage,
} from '../../web/lib/meet/protocol';
import { send, startSdkServer, type SdkServer } from './server';

// Meet against people who have the link and mean harm (the review of issue 8): a chat history that
// outgrows what a browser accepts, guests and idle sockets that keep hosts out, a peer that floods
// another with signals, parallel room creation past the caps, and the Origin check's default ports.

let s: SdkServer;
const opened: TestSocket[] = [];

beforeAll(async () => {
  s = await startSdkServer();
  await s.admin.settings.update({ rateLimits: { enabled: false, rules: DEFAULT_RATE_LIMIT_RULES } });
});
afterAll(async () => {
  await s?.close();
});
afterEach(async () => {
  for (const socket of opened) expect(socket.invalid).toEqual([]);
  await Promise.all(opened.splice(0).map((socket) => socket.close()));
  await s.admin.settings.update({
    meet: { maxPeers: 6 },
    rateLimits: { enabled: false },
    trustedProxy: { headers: [] },
  });
});

/** A room made by a new user (each test its own, clear of the per-user cap). */
async function createRoom(options: Record<string, unknown> = {}): Promise<{ name: string; hostKey: string }> {
  const { client } = await s.signUp();
  return (await send(client, '/api/hearth/meet/rooms', { method: 'POST', body: options })) as never;
}

/** A socket to `room`, from `address` when given (X-Forwarded-For, with a trusted proxy set). */
async function open(room: string, address?: string): Promise<TestSocket> {
  const socket = await TestSocket.open(
    s.url,
    room,
    address ? { headers: { 'x-forwarded-for': address } } : {},
  );
  opened.push(socket);
  return socket;
}

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

describe('M1: the chat history always fits in welcome', () => {
  test('a late joiner gets a welcome the browser accepts, with the newest chat', async () => {
    const room = await createRoom();
    const chatters = [];
    for (let i = 0; i < 4; i++) chatters.push(await open(room.name));
    for (const [i, c] of chatters.entries()) await c.join(`Chatter ${i}`);
    // Quotes and backslashes double in JSON: 40 of these are ~160 000 characters of welcome.
    let n = 0;
    for (const c of chatters) {
      for (let k = 0; k < 10; k++) c.send({ type: 'chat', text: `${n++} ${'"\\'.repeat(995)}` });
    }
    const heard = [];
    for (let k = 0; k < 40; k++) heard.push(await chatters[3]!.next('chat'));

    const late = await open(room.name);
    late.send({ type: 'join', name: 'Late' });
    const welcome = await late.next('welcome');
    expect(late.invalid).toEqual([]);
    expect(welcome.chat.length).toBeGreaterThan(0);
    expect(welcome.chat.length).toBeLessThanOrEqual(MAX_CHAT_HISTORY);
    expect(JSON.stringify(welcome.chat).length).toBeLessThanOrEqual(MAX_CHAT_HISTORY_CHARS + 2);
    expect(welcome.chat.at(-1)!.id).toBe(heard.at(-1)!.id); // the newest kept, the oldest gone
    expect(welcome.chat[0]!.id).not.toBe(heard[0]!.id);
  });

  test('a signal of a full 64 KiB frame reaches its peer as a valid message', async () => {
    const room = await createRoom();
    const alice = await open(room.name);
    await alice.join('Alice');
    const bob = await open(room.name);
    const bobId = (await bob.join('Bob')).id;
    const frame = (sdp: string) =>
      JSON.stringify({ type: 'signal', to: bobId, data: { description: { type: 'offer', sdp } } });
    // Line feeds (2 bytes each as JSON) fill the frame to exactly MAX_MESSAGE_BYTES within the
    // MAX_SDP_LENGTH characters of SDP; relayed, `from` makes it 2 characters longer.
    const sdp = '\n'.repeat(16_000) + 'a'.repeat(MAX_MESSAGE_BYTES - frame('').length - 32_000);
    expect(Buffer.byteLength(frame(sdp))).toBe(MAX_MESSAGE_BYTES);
    alice.send(frame(sdp));
    const signal = await bob.next('signal');
    expect(signal.data).toEqual({ description: { type: 'offer', sdp } });
    expect(bob.invalid).toEqual([]);
  });
});

describe('M2: hosts are never kept out', () => {
  test('(a) a host gets into a room guests filled, up to 3 hosts past maxPeers', async () => {
    await s.admin.settings.update({ meet: { maxPeers: 2 } });
    const room = await createRoom();
    for (const name of ['Squatter 1', 'Squatter 2']) await (await open(room.name)).join(name);
    const guest = await open(room.name);
    guest.send({ type: 'join', name: 'Guest' });
    expect(await guest.next('error')).toMatchObject({ code: 'room-full' });
    for (const name of ['Host 1', 'Host 2', 'Host 3']) {
      expect((await (await open(room.name)).join(name, { hostKey: room.hostKey })).host).toBe(true);
    }
    const fourth = await open(room.name);
    fourth.send({ type: 'join', name: 'Host 4', hostKey: room.hostKey });
    expect(await fourth.next('error')).toMatchObject({ code: 'room-full' });
    expect((await fourth.closed).code).toBe(CLOSE.roomFull);
  });

  test('(b) sockets that never join do not fill the room: the host still connects', async () => {
    await s.admin.settings.update({ meet: { maxPeers: 2 }, trustedProxy: { headers: ['X-Forwarded-For'] } });
    const room = await createRoom({ password: 'sesame', lobby: true });
    for (let i = 0; i < 32; i++) await open(room.name, i < 16 ? '198.51.100.1' : '198.51.100.2');
    const host = await open(room.name, '203.0.113.9');
    expect((await host.join('Host', { hostKey: room.hostKey })).host).toBe(true);
  });

  test('(b) one address holds at most 3 unjoined sockets in a room', async () => {
    await s.admin.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'] } });
    const room = await createRoom();
    await s.admin.settings.update({ rateLimits: { enabled: true } });
    const idle = [];
    for (let i = 0; i < 3; i++) idle.push(await open(room.name, '198.51.100.7'));
    const headers = { 'x-forwarded-for': '198.51.100.7' };
    expect(await TestSocket.refused(s.url, `/api/hearth/meet/${room.name}`, { headers })).toMatchObject({
      status: 429,
    });
    // Joined, a socket no longer counts: the address may open another.
    await idle[0]!.join('Joined');
    await (await open(room.name, '198.51.100.7')).join('Joined too');
    // Other addresses are not affected.
    await (await open(room.name, '198.51.100.8')).join('Neighbour');
  });

  test('(c) seats kept for dropped peers do not keep a host out', async () => {
    await s.admin.settings.update({ meet: { maxPeers: 2 } });
    const room = await createRoom();
    const watcher = await open(room.name);
    await watcher.join('Host 0', { hostKey: room.hostKey });
    // The room's 2 + 3 seats, 4 of them kept for peers whose sockets dropped.
    const dropped = [await open(room.name)];
    await dropped[0]!.join('Guest');
    for (let i = 1; i <= 3; i++) {
      dropped.push(await open(room.name));
      await dropped[i]!.join(`Host ${i}`, { hostKey: room.hostKey });
    }
    for (const socket of dropped) socket.ws.terminate(); // no close frame: a network drop
    await settle();
    const host = await open(room.name);
    expect((await host.join('Host again', { hostKey: room.hostKey })).host).toBe(true);
    expect(await watcher.next('peer-left')).toMatchObject({ reason: 'dropped' });
  });
});

describe('M3: no peer can get another dropped', () => {
  test('a sender past its byte budget is refused, and the slow target stays connected', async () => {
    const room = await createRoom();
    const victim = await open(room.name);
    const victimId = (await victim.join('Victim')).id;
    const attacker = await open(room.name);
    await attacker.join('Attacker');
    const raw = (victim.ws as unknown as { _socket: Socket })._socket;
    raw.pause(); // a slow downlink: nothing it is sent is read for now
    const sdp = `v=0${'a'.repeat(49_990)}`;
    for (let i = 0; i < 200; i++) {
      attacker.send({ type: 'signal', to: victimId, data: { description: { type: 'offer', sdp } } });
    }
    expect(await attacker.next('error')).toMatchObject({ code: 'rate-limited' });
    while (attacker.ws.bufferedAmount > 0) await settle(50);
    await settle(500);
    raw.resume();
    // The victim is still in the meeting: what it says reaches the attacker.
    victim.send({ type: 'state', audio: true, video: false, screen: false });
    expect(await attacker.next('state', 5000)).toMatchObject({ peer: victimId, audio: true });
    const signals = victim.received.filter((m) => m.type === 'signal').length;
    expect(signals).toBeGreaterThan(0);
    expect(signals).toBeLessThan(20); // the budget: 288 KiB at once, not 200 × 50 KB
    expect(victim.ws.readyState).toBe(victim.ws.OPEN);
  });
});

describe('L2: TURN credentials go to seated peers only', () => {
  test('in welcome, not to the refused nor from GET /ice', async () => {
    const urls = ['turn:turn.example.org:3478?transport=udp'];
    await s.admin.settings.update({ meet: { 'turn.urls': urls, 'turn.secret': 'the-coturn-secret' } });
    try {
      const room = await createRoom({ password: 'sesame' });
      const ice = (await (await fetch(`${s.url}/api/hearth/meet/ice?room=${room.name}`)).json()) as {
        iceServers: { credential?: string }[];
      };
      expect(ice.iceServers.some((e) => e.credential !== undefined)).toBe(false);
      const refused = await open(room.name);
      refused.send({ type: 'join', name: 'Guesser', password: 'wrong' });
      await refused.closed;
      expect(JSON.stringify(refused.received)).not.toContain('turn.example.org');
      const welcome = await (await open(room.name)).join('Guest', { password: 'sesame' });
      expect(welcome.iceServers).toEqual([
        { urls, username: expect.stringMatching(/^\d+:guest-/) as string, credential: expect.any(String) },
      ]);
    } finally {
      s.hearth.settings.set({ 'meet.turn.urls': [], 'meet.turn.secret': '' });
    }
  });

  test('no TURN configured: welcome has none', async () => {
    const room = await createRoom();
    expect((await (await open(room.name)).join('Guest')).iceServers).toEqual([]);
  });
});

test('L4: parallel creates cannot pass the per-user cap of 20', async () => {
  const { client } = await s.signUp();
  const results = await Promise.allSettled(
    Array.from({ length: 30 }, () =>
      send(client, '/api/hearth/meet/rooms', { method: 'POST', body: { password: 'a password' } }),
    ),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
});

test('L5: a Host without a port matches only an Origin on the default port', () => {
  const req = (host: string, origin: string) => ({ headers: { host, origin } }) as unknown as IncomingMessage;
  expect(sameOrigin(req('hearth.example', 'http://hearth.example'), false)).toBe(true);
  expect(sameOrigin(req('hearth.example', 'https://hearth.example'), false)).toBe(true);
  expect(sameOrigin(req('hearth.example', 'http://hearth.example:80'), false)).toBe(true);
  expect(sameOrigin(req('hearth.example', 'http://hearth.example:8081'), false)).toBe(false);
  expect(sameOrigin(req('hearth.example', 'https://hearth.example:8443'), false)).toBe(false);
  expect(sameOrigin(req('hearth.example:8081', 'http://hearth.example:8081'), false)).toBe(true);
});

describe('L1: a request asking for another upgrade is served as plain HTTP', () => {
  /** Sends raw HTTP/1.1 and returns what came back by the time the server closed (or 3 s). */
  function rawHttp(text: string): Promise<string> {
    const { port } = new URL(s.url);
    return new Promise((resolve) => {
      let got = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
      socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
      setTimeout(() => socket.destroy(), 3000).unref();
    });
  }

  test('GET /api/health with Upgrade: h2c → 200 and the health answer', async () => {
    const answer = await rawHttp(
      'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings, close\r\n' +
        'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { message: string };
    expect(body.message).toMatch(/healthy/i);
  });

  test('a body after the upgrade headers, and a request behind it on the same connection', async () => {
    const answer = await rawHttp(
      'POST /api/hearth/meet/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n' +
        'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Type: application/json\r\n' +
        'Content-Length: 2\r\n\r\n{}' +
        'GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    const statuses = answer.match(/HTTP\/1\.1 \d{3}/g);
    expect(statuses).toEqual(['HTTP/1.1 401', 'HTTP/1.1 200']); // a guest may not make rooms
  });

  test('a WebSocket upgrade on a path nobody serves is still refused', async () => {
    const refused = await TestSocket.refused(s.url, '/api/hearth/nothing-here');
    expect(refused.status).toBe(404);
  });
});

test('parseServerMessage takes what the server sends, but not just anything', () => {
  expect(parseServerMessage('x'.repeat(MAX_MESSAGE_BYTES + 1))).toMatchObject({ code: 'bad-message' });
});
