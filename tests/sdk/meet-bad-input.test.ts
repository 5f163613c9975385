import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { meetTimings } from '../../api/meet/meet.rooms';
import { TestSocket } from '../../api/meet/meet.testing';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import { CLOSE, MAX_MESSAGE_BYTES, type ErrorCode, type SignalData } from '../../web/lib/meet/protocol';
import { send, startSdkServer, type SdkServer } from './server';

// Meet signaling with bad input (issue 8; QUALITY.md's table): unknown rooms, malformed, oversized
// and binary messages, signals to peers of another room, foreign origins. Each is refused with its
// error or close code, and afterwards the room still works for its members: Alice and Bob, in the
// room under attack, exchange a signal and have heard nothing of it.

let s: SdkServer;
let other: { room: string; dave: TestSocket; daveId: string };
const opened: TestSocket[] = [];
const defaults = { ...meetTimings };

beforeAll(async () => {
  s = await startSdkServer();
  await s.admin.settings.update({ rateLimits: { enabled: false, rules: DEFAULT_RATE_LIMIT_RULES } });
  creator = (await s.signUp()).client;
  const room = await createRoom();
  const dave = await TestSocket.open(s.url, room.name);
  other = { room: room.name, dave, daveId: (await dave.join('Dave')).id };
});
afterAll(async () => {
  await other?.dave.close();
  await s?.close();
});

let creator: ReturnType<SdkServer['newClient']>;
function createRoom(): Promise<{ name: string; hostKey: string }> {
  return send(creator, '/api/hearth/meet/rooms', { method: 'POST', body: {} }) as Promise<never>;
}

async function open(room: string): Promise<TestSocket> {
  const socket = await TestSocket.open(s.url, room);
  opened.push(socket);
  return socket;
}

interface Members {
  room: string;
  alice: TestSocket;
  aliceId: string;
  bob: TestSocket;
  bobId: string;
}
let m: Members;

beforeEach(async () => {
  // A user may run 20 rooms at once: every test makes its room as a new user.
  creator = (await s.signUp()).client;
  const room = await createRoom();
  const alice = await open(room.name);
  const aliceId = (await alice.join('Alice', { hostKey: room.hostKey })).id;
  const bob = await open(room.name);
  const bobId = (await bob.join('Bob')).id;
  await alice.next('peer-joined');
  m = { room: room.name, alice, aliceId, bob, bobId };
});

afterEach(async () => {
  // The room still works: a signal each way, and nothing else reached its members.
  const offer: SignalData = { description: { type: 'offer', sdp: 'v=0\r\n' } };
  m.alice.send({ type: 'signal', to: m.bobId, data: offer });
  expect(await m.bob.next('signal')).toEqual({ type: 'signal', from: m.aliceId, data: offer });
  m.bob.send({ type: 'signal', to: m.aliceId, data: { candidate: null } });
  expect(await m.alice.next('signal')).toEqual({ type: 'signal', from: m.bobId, data: { candidate: null } });
  for (const member of [m.alice, m.bob]) {
    const heard = await member.within(50);
    expect(heard.filter((msg) => msg.type !== 'peer-joined')).toEqual([]);
    expect(member.invalid).toEqual([]);
  }
  expect(await other.dave.within(0)).toEqual([]); // the other room heard nothing either
  await Promise.all(opened.splice(0).map((socket) => socket.close()));
  Object.assign(meetTimings, defaults);
});

const big = (n: number) => 'x'.repeat(n);

interface Row {
  name: string;
  /** Whether the attacker has joined the room first (as Eve). */
  joined: boolean;
  act: (eve: TestSocket) => void;
  error?: ErrorCode;
  close?: number;
}

const rows: Row[] = [
  { name: 'malformed JSON', joined: true, act: (e) => e.send('{"type": "chat", '), error: 'bad-message' },
  { name: 'JSON that is not an object', joined: true, act: (e) => e.send('[1,2,3]'), error: 'bad-message' },
  { name: 'a bare string', joined: false, act: (e) => e.send('"join"'), error: 'bad-message' },
  { name: 'an unknown type', joined: true, act: (e) => e.send({ type: 'dance' }), error: 'bad-message' },
  {
    name: 'a prototype name as type',
    joined: true,
    act: (e) => e.send({ type: 'constructor' }),
    error: 'bad-message',
  },
  {
    name: 'a signal without data',
    joined: true,
    act: (e) => e.send({ type: 'signal', to: m.bobId }),
    error: 'bad-message',
  },
  {
    name: 'a signal with both a description and a candidate',
    joined: true,
    act: (e) =>
      e.send({
        type: 'signal',
        to: m.bobId,
        data: { description: { type: 'offer', sdp: '' }, candidate: null },
      }),
    error: 'bad-message',
  },
  {
    name: 'an SDP past its limit',
    joined: true,
    act: (e) =>
      e.send({ type: 'signal', to: m.bobId, data: { description: { type: 'offer', sdp: big(50_001) } } }),
    error: 'too-large',
  },
  {
    name: 'a chat past 2000 characters',
    joined: true,
    act: (e) => e.send({ type: 'chat', text: big(2001) }),
    error: 'too-large',
  },
  {
    name: 'a blank chat',
    joined: true,
    act: (e) => e.send({ type: 'chat', text: ' \n ' }),
    error: 'bad-message',
  },
  {
    name: 'a frame past maxPayload',
    joined: true,
    act: (e) => e.send(big(MAX_MESSAGE_BYTES + 1)),
    close: CLOSE.tooLarge,
  },
  {
    name: 'a binary frame',
    joined: true,
    act: (e) => e.ws.send(Buffer.from('{"type":"leave"}')),
    close: CLOSE.unsupportedData,
  },
  {
    name: 'a text frame that is not UTF-8',
    joined: true,
    act: (e) => e.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }),
    close: 1007,
  },
  {
    name: 'a signal to a peer in another room',
    joined: true,
    act: (e) => e.send({ type: 'signal', to: other.daveId, data: { candidate: null } }),
    error: 'unknown-peer',
  },
  {
    name: 'a signal to itself',
    joined: true,
    act: (e) =>
      e.send({
        type: 'signal',
        to: e.received.find((x) => x.type === 'welcome')!.id,
        data: { candidate: null },
      }),
    error: 'unknown-peer',
  },
  {
    name: 'a signal before joining',
    joined: false,
    act: (e) => e.send({ type: 'signal', to: m.bobId, data: { candidate: null } }),
    error: 'not-joined',
  },
  {
    name: 'a chat before joining',
    joined: false,
    act: (e) => e.send({ type: 'chat', text: 'hi' }),
    error: 'not-joined',
  },
  {
    name: 'a second join',
    joined: true,
    act: (e) => e.send({ type: 'join', name: 'Eve' }),
    error: 'bad-message',
  },
  {
    name: 'a blank name',
    joined: false,
    act: (e) => e.send({ type: 'join', name: '   ' }),
    error: 'bad-message',
  },
  {
    name: 'a name of 61 characters',
    joined: false,
    act: (e) => e.send({ type: 'join', name: big(61) }),
    error: 'too-large',
  },
  {
    name: 'a name with a control character',
    joined: false,
    act: (e) => e.send({ type: 'join', name: 'Eve\u0007' }),
    error: 'bad-message',
  },
  {
    name: 'a name with a bidi override',
    joined: false,
    act: (e) => e.send({ type: 'join', name: '\u202eEve' }),
    error: 'bad-message',
  },
  {
    name: 'a host command from a guest',
    joined: true,
    act: (e) => e.send({ type: 'remove', peer: m.aliceId }),
    error: 'not-host',
  },
  {
    name: 'a host command before joining',
    joined: false,
    act: (e) => e.send({ type: 'lock', locked: true }),
    error: 'not-joined',
  },
];

describe('refused, and the room unaffected', () => {
  test.each(rows)('$name', async (row) => {
    const eve = await open(m.room);
    if (row.joined) {
      await eve.join('Eve');
      await m.alice.next('peer-joined');
    }
    row.act(eve);
    if (row.error) {
      expect(await eve.next('error')).toMatchObject({
        type: 'error',
        code: row.error,
        message: expect.any(String),
      });
      expect(eve.ws.readyState).toBe(eve.ws.OPEN); // one bad message is not a reason to hang up
    }
    if (row.close) expect((await eve.closed).code).toBe(row.close);
  });

  test('repeated bad messages close the socket (4400)', async () => {
    const eve = await open(m.room);
    await eve.join('Eve');
    for (let i = 0; i < 5; i++) eve.send('not json');
    expect((await eve.closed).code).toBe(CLOSE.badMessage);
    expect((await eve.within(0, 'error')).length).toBe(5);
  });

  test('a flood of messages is cut off with rate-limited', async () => {
    const eve = await open(m.room);
    await eve.join('Eve');
    for (let i = 0; i < 400; i++)
      eve.send({ type: 'state', audio: i % 2 === 0, video: false, screen: false });
    expect(await eve.next('error')).toMatchObject({ code: 'rate-limited' });
    for (const member of [m.alice, m.bob]) {
      const states = await member.within(300, 'state');
      expect(states.length).toBeGreaterThan(0);
      expect(states.length).toBeLessThan(400);
    }
  });

  test('no join in time: closed (4408)', async () => {
    meetTimings.joinTimeoutMs = 200;
    const eve = await open(m.room);
    expect((await eve.closed).code).toBe(CLOSE.joinTimeout);
  });

  test('an unknown room: unknown-room, closed (4404)', async () => {
    const eve = await open('zzzz-zzzz-zzzz');
    expect(await eve.next('error')).toEqual({
      type: 'error',
      code: 'unknown-room',
      message: 'There is no such meeting.',
    });
    expect((await eve.closed).code).toBe(CLOSE.unknownRoom);
  });
});

describe('refused before the handshake', () => {
  const origin = () => s.url; // the page the server itself serves

  test.each([
    ['a page on another site', 'http://evil.example', 403],
    ['the same host on another port', 'http://127.0.0.1:1', 403],
    ['an opaque origin', 'null', 403],
    ['a non-web scheme', 'file://', 403],
  ])('Origin of %s (%s) → %i', async (_, value, status) => {
    const refused = await TestSocket.refused(s.url, `/api/hearth/meet/${m.room}`, { origin: value });
    expect(refused).toEqual({
      status,
      body: { status, message: 'Cross-origin WebSocket connections are not allowed.', data: {} },
    });
  });

  test('the same origin is let in', async () => {
    const eve = await TestSocket.open(s.url, m.room, { origin: origin() });
    opened.push(eve);
    await eve.join('Eve');
    await m.alice.next('peer-joined');
  });

  test.each([
    ['not a room name', '/api/hearth/meet/Not..A.Room'],
    ['a room name with more path', `/api/hearth/meet/abcd-efgh-ijkl/x`],
    ['outside meet', '/api/hearth/pad/abc'],
    ['outside the API', '/some/page'],
  ])('a WebSocket to a path %s → 404', async (_, path) => {
    const refused = await TestSocket.refused(s.url, path);
    expect(refused).toEqual({
      status: 404,
      body: { status: 404, message: "The requested resource wasn't found.", data: {} },
    });
  });

  test('too many sockets from one address → 429', async () => {
    let refused: { status: number; body: unknown } | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      try {
        await open(m.room);
      } catch {
        refused = await TestSocket.refused(s.url, `/api/hearth/meet/${m.room}`);
      }
    }
    // Alice, Bob and Dave hold three of the 32.
    expect(opened.length).toBe(2 + 29);
    expect(refused).toEqual({
      status: 429,
      body: { status: 429, message: 'Too many connections.', data: {} },
    });
  });

  test('an upgrade to something other than WebSocket is served as a plain request', async () => {
    // `Upgrade: h2c` (curl --http2) may be ignored (RFC 9110 §7.8): no such HTTP route → 404.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/api/hearth/meet/${m.room}`, {
        headers: { connection: 'Upgrade', upgrade: 'h2c' },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
  });
});
