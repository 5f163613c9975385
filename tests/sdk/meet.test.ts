import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { meetTimings } from '../../api/meet/meet.rooms';
import { TestSocket } from '../../api/meet/meet.testing';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import { CLOSE, isPolite, type SignalData } from '../../web/lib/meet/protocol';
import { send, startSdkServer, type SdkServer } from './server';

// Meet signaling (issue 8), the server side: rooms made through HTTP by a signed-in user, then real
// `ws` clients joining, relaying offers and candidates, chatting, leaving and coming back. Each
// message a client receives is checked with the browser's validator (TestSocket.invalid).

let s: SdkServer;
let owner: Awaited<ReturnType<SdkServer['signUp']>>;
const opened: TestSocket[] = [];
const defaults = { ...meetTimings };

beforeAll(async () => {
  s = await startSdkServer();
  // Each test opens many sockets from one address; meet's limits have their own tests.
  await s.admin.settings.update({ rateLimits: { enabled: false, rules: DEFAULT_RATE_LIMIT_RULES } });
  owner = await s.signUp();
});
afterAll(async () => {
  await s?.close();
});
afterEach(async () => {
  for (const socket of opened) expect(socket.invalid).toEqual([]);
  await Promise.all(opened.splice(0).map((socket) => socket.close()));
  Object.assign(meetTimings, defaults);
  await s.admin.settings.update({ meet: { maxPeers: 6 } });
});

interface Made {
  name: string;
  hostKey: string;
}

/** A room made by `owner`, or by a new owner once one runs 20 rooms (the cap per user). */
async function createRoom(options: Record<string, unknown> = {}): Promise<Made> {
  const make = async () =>
    (await send(owner.client, '/api/hearth/meet/rooms', { method: 'POST', body: options })) as never as Made;
  try {
    return await make();
  } catch (err) {
    if ((err as Error).message !== 'You have 20 meetings running already.') throw err;
    owner = await s.signUp();
    return make();
  }
}

async function open(room: string): Promise<TestSocket> {
  const socket = await TestSocket.open(s.url, room);
  opened.push(socket);
  return socket;
}

/** A socket joined to `room` as `name`, with its welcome. */
async function joined(room: Made, name: string, extra: Record<string, unknown> = {}) {
  const socket = await open(room.name);
  const welcome = await socket.join(name, extra);
  return { socket, welcome, id: welcome.id };
}

const OFFER: SignalData = { description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } };
const CANDIDATE: SignalData = {
  candidate: {
    candidate: 'candidate:1 1 udp 2122260223 10.0.0.2 54321 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: 'abcd',
  },
};

describe('rooms', () => {
  test('a signed-in user makes a room; its public facts are all anyone can read', async () => {
    const room = await createRoom({ password: 'sesame', lobby: true });
    expect(room.name).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    expect(room.hostKey.length).toBeGreaterThanOrEqual(40);
    const info = await send(s.newClient(), `/api/hearth/meet/rooms/${room.name}`);
    expect(info).toEqual({
      name: room.name,
      password: true,
      lobby: true,
      membersOnly: false,
      locked: false,
      peers: 0,
      maxPeers: 6,
    });
    const other = await createRoom();
    expect(other.name).not.toBe(room.name);
  });

  test('joining is seen by the others; polite sides agree', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice', { hostKey: room.hostKey });
    expect(alice.welcome).toMatchObject({ host: true, resumed: false, peers: [], chat: [] });
    expect(alice.welcome.room).toMatchObject({ name: room.name, peers: 1, maxPeers: 6 });
    const bob = await joined(room, '  Bob  ');
    expect(bob.welcome.host).toBe(false);
    expect(bob.welcome.peers).toEqual([
      {
        id: alice.id,
        name: 'Alice',
        host: true,
        polite: isPolite(bob.id, alice.id),
        audio: false,
        video: false,
        screen: false,
      },
    ]);
    const seen = await alice.socket.next('peer-joined');
    expect(seen.peer).toMatchObject({
      id: bob.id,
      name: 'Bob',
      host: false,
      polite: isPolite(alice.id, bob.id),
    });
    expect(seen.peer.polite).not.toBe(bob.welcome.peers[0]!.polite); // exactly one side is polite
    expect(bob.welcome.secret).not.toBe(alice.welcome.secret);
  });

  test('a signal reaches its addressee only', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    const carol = await joined(room, 'Carol');
    bob.socket.send({ type: 'signal', to: alice.id, data: OFFER });
    bob.socket.send({ type: 'signal', to: alice.id, data: CANDIDATE });
    bob.socket.send({ type: 'signal', to: alice.id, data: { candidate: null } });
    expect(await alice.socket.next('signal')).toEqual({ type: 'signal', from: bob.id, data: OFFER });
    expect(await alice.socket.next('signal')).toEqual({ type: 'signal', from: bob.id, data: CANDIDATE });
    expect(await alice.socket.next('signal')).toEqual({
      type: 'signal',
      from: bob.id,
      data: { candidate: null },
    });
    expect(await carol.socket.within(200, 'signal')).toEqual([]);
    expect(await bob.socket.within(0, 'signal')).toEqual([]);
  });

  test('fields the protocol does not know are not relayed', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    bob.socket.send({
      type: 'signal',
      to: alice.id,
      from: 'forged',
      extra: 'x',
      data: { description: { type: 'answer', sdp: 'v=0\r\n', script: '<b>' }, more: 1 },
    });
    expect(await alice.socket.next('signal')).toEqual({
      type: 'signal',
      from: bob.id,
      data: { description: { type: 'answer', sdp: 'v=0\r\n' } },
    });
  });

  test('chat reaches everyone and the history a late joiner', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    alice.socket.send({ type: 'chat', text: '  hello\r\nworld ' });
    const heard = await bob.socket.next('chat');
    expect(heard).toMatchObject({ from: alice.id, name: 'Alice', text: 'hello\nworld' });
    expect(await alice.socket.next('chat')).toEqual(heard); // the sender hears it back, with its id
    expect(Math.abs(heard.at - Date.now())).toBeLessThan(5000);
    bob.socket.send({ type: 'chat', text: 'hi' });
    await alice.socket.next('chat');
    const carol = await joined(room, 'Carol');
    expect(carol.welcome.chat.map((c) => [c.name, c.text])).toEqual([
      ['Alice', 'hello\nworld'],
      ['Bob', 'hi'],
    ]);
  });

  test('media state goes to the others and into a late joiner’s welcome', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    bob.socket.send({ type: 'state', audio: true, video: true, screen: false });
    expect(await alice.socket.next('state')).toEqual({
      type: 'state',
      peer: bob.id,
      audio: true,
      video: true,
      screen: false,
    });
    expect(await bob.socket.within(100, 'state')).toEqual([]);
    const carol = await joined(room, 'Carol');
    expect(carol.welcome.peers.find((p) => p.id === bob.id)).toMatchObject({
      audio: true,
      video: true,
      screen: false,
    });
  });

  test('closing the socket (1000) or sending leave: the others see peer-left', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    const carol = await joined(room, 'Carol');
    await bob.socket.close(1000);
    expect(await alice.socket.next('peer-left')).toEqual({ type: 'peer-left', peer: bob.id, reason: 'left' });
    carol.socket.send({ type: 'leave' });
    expect((await carol.socket.closed).code).toBe(CLOSE.normal);
    expect(await alice.socket.next('peer-left')).toEqual({
      type: 'peer-left',
      peer: carol.id,
      reason: 'left',
    });
    expect(await send(s.newClient(), `/api/hearth/meet/rooms/${room.name}`)).toMatchObject({ peers: 1 });
  });

  test('a dropped socket keeps its seat for a resume; the others see no leave', async () => {
    const room = await createRoom({ password: 'sesame' });
    const alice = await joined(room, 'Alice', { hostKey: room.hostKey });
    const bob = await joined(room, 'Bob', { password: 'sesame' });
    await alice.socket.next('peer-joined');
    bob.socket.ws.terminate(); // no close frame: a network drop
    await bob.socket.closed;
    expect(await alice.socket.within(300)).toEqual([]);

    const back = await open(room.name);
    // No password needed: the secret proves the seat was granted.
    const welcome = await back.join('Bob', { resume: { peer: bob.id, secret: bob.welcome.secret } });
    expect(welcome).toMatchObject({ id: bob.id, resumed: true, secret: bob.welcome.secret });
    expect(welcome.peers.map((p) => p.id)).toEqual([alice.id]);
    alice.socket.send({ type: 'signal', to: bob.id, data: OFFER });
    expect(await back.next('signal')).toMatchObject({ from: alice.id });
    expect(await alice.socket.within(200)).toEqual([]);
  });

  test('a resume with the wrong secret is a new join under the room’s rules', async () => {
    const room = await createRoom({ password: 'sesame' });
    const alice = await joined(room, 'Alice', { hostKey: room.hostKey });
    const thief = await open(room.name);
    thief.send({ type: 'join', name: 'Mallory', resume: { peer: alice.id, secret: 'x'.repeat(43) } });
    expect(await thief.next('error')).toMatchObject({ code: 'wrong-password' });
    expect((await thief.closed).code).toBe(CLOSE.wrongPassword);
    const again = await open(room.name);
    const welcome = await again.join('Mallory', {
      password: 'sesame',
      resume: { peer: alice.id, secret: 'y' },
    });
    expect(welcome.resumed).toBe(false);
    expect(welcome.id).not.toBe(alice.id);
  });

  test('a resume while the old socket is still open takes over; the old one is closed (4000)', async () => {
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    await alice.socket.next('peer-joined');
    const second = await open(room.name); // say, the same person on a new network before the old one timed out
    const welcome = await second.join('Bob', { resume: { peer: bob.id, secret: bob.welcome.secret } });
    expect(welcome).toMatchObject({ id: bob.id, resumed: true });
    expect((await bob.socket.closed).code).toBe(CLOSE.replaced);
    expect(await alice.socket.within(200)).toEqual([]);
    alice.socket.send({ type: 'signal', to: bob.id, data: OFFER });
    expect(await second.next('signal')).toMatchObject({ from: alice.id });
  });

  test('a seat not taken back within the grace period is given up', async () => {
    meetTimings.graceMs = 300;
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const bob = await joined(room, 'Bob');
    bob.socket.ws.terminate();
    expect(await alice.socket.next('peer-left', 2000)).toEqual({
      type: 'peer-left',
      peer: bob.id,
      reason: 'dropped',
    });
    const late = await open(room.name);
    const welcome = await late.join('Bob', { resume: { peer: bob.id, secret: bob.welcome.secret } });
    expect(welcome.resumed).toBe(false);
  });

  test('a socket that stops answering pings is dropped (and its seat kept a while)', async () => {
    meetTimings.heartbeatMs = 100;
    meetTimings.graceMs = 200;
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    const deaf = await TestSocket.open(s.url, room.name, { autoPong: false });
    opened.push(deaf);
    const welcome = await deaf.join('Deaf');
    expect(await alice.socket.next('peer-left', 3000)).toEqual({
      type: 'peer-left',
      peer: welcome.id,
      reason: 'dropped',
    });
    expect(await alice.socket.within(300, 'peer-left')).toEqual([]); // alice answers pings and stays
  });

  test('a room ends when it has been empty for a while', async () => {
    meetTimings.emptyMs = 200;
    const room = await createRoom();
    const alice = await joined(room, 'Alice');
    await alice.socket.close(1000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const status = await fetch(`${s.url}/api/hearth/meet/rooms/${room.name}`).then((r) => r.status);
    expect(status).toBe(404);
    const late = await open(room.name);
    expect(await late.next('error')).toMatchObject({ code: 'unknown-room' });
    expect((await late.closed).code).toBe(CLOSE.unknownRoom);
  });
});

describe('the end of a meeting', () => {
  test('a room ends after its longest life, with everyone in it told', async () => {
    meetTimings.maxAgeMs = 300;
    const room = await createRoom({ lobby: true });
    const host = await joined(room, 'Host', { hostKey: room.hostKey });
    const guest = await open(room.name);
    guest.send({ type: 'join', name: 'Guest' });
    await guest.next('waiting');
    for (const socket of [host.socket, guest]) {
      await socket.next('ended', 2000);
      expect((await socket.closed).code).toBe(CLOSE.gone);
    }
    expect((await fetch(`${s.url}/api/hearth/meet/rooms/${room.name}`)).status).toBe(404);
  });

  test('stopping the server ends the meetings and closes every socket', async () => {
    const other = await startSdkServer();
    try {
      const user = await other.signUp();
      const room = (await send(user.client, '/api/hearth/meet/rooms', {
        method: 'POST',
        body: {},
      })) as never as Made;
      const peer = await TestSocket.open(other.url, room.name);
      await peer.join('Alice');
      const idle = await TestSocket.open(other.url, room.name); // connected, never joined
      other.hearth.bus.publish('ServerClosing', {}); // what `hearth serve` does on SIGTERM
      await peer.next('ended');
      expect((await peer.closed).code).toBe(CLOSE.gone);
      expect((await idle.closed).code).toBe(CLOSE.goingAway);
    } finally {
      await other.close();
    }
  });

  test('a socket left open does not hold the server’s shutdown past its grace period', async () => {
    const other = await startSdkServer();
    const user = await other.signUp();
    const room = (await send(user.client, '/api/hearth/meet/rooms', {
      method: 'POST',
      body: {},
    })) as never as Made;
    const peer = await TestSocket.open(other.url, room.name);
    await peer.join('Alice');
    const started = Date.now();
    await other.close(); // no ServerClosing: the sockets are destroyed after the 1 s grace
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await peer.closed).code).toBe(1006);
  });
});

describe('room options', () => {
  test.each([
    ['no password', {}, 'This meeting needs a password.'],
    ['a wrong password', { password: 'open sesame' }, 'Wrong password.'],
  ])('%s is refused', async (_, extra, message) => {
    const room = await createRoom({ password: 'sesame' });
    const guest = await open(room.name);
    guest.send({ type: 'join', name: 'Guest', ...extra });
    expect(await guest.next('error')).toEqual({
      type: 'error',
      code: 'wrong-password',
      message,
      ref: 'join',
    });
    expect((await guest.closed).code).toBe(CLOSE.wrongPassword);
  });

  test('the right password, or the host key, is let in', async () => {
    const room = await createRoom({ password: 'sesame' });
    expect((await joined(room, 'Guest', { password: 'sesame' })).welcome.host).toBe(false);
    expect((await joined(room, 'Host', { hostKey: room.hostKey })).welcome.host).toBe(true);
  });

  test('members only: guests are refused, signed-in users admitted', async () => {
    const room = await createRoom({ membersOnly: true });
    const guest = await open(room.name);
    guest.send({ type: 'join', name: 'Guest' });
    expect(await guest.next('error')).toMatchObject({ code: 'members-only' });
    expect((await guest.closed).code).toBe(CLOSE.forbidden);

    const admin = await open(room.name); // a superuser is not a member (`users` only)
    admin.send({ type: 'join', name: 'Admin', token: s.admin.authStore.token });
    expect(await admin.next('error')).toMatchObject({ code: 'members-only' });

    const member = await s.signUp();
    expect((await joined(room, 'Member', { token: member.token })).welcome.host).toBe(false);
  });

  test('lobby: a guest waits until a host admits them', async () => {
    const room = await createRoom({ lobby: true });
    const guest = await open(room.name);
    guest.send({ type: 'join', name: 'Guest' });
    await guest.next('waiting'); // no host yet: the guest waits
    const host = await joined(room, 'Host', { hostKey: room.hostKey });
    const { waiting } = await host.socket.next('lobby');
    expect(waiting).toEqual([{ id: expect.any(String), name: 'Guest' }]);
    host.socket.send({ type: 'admit', peer: waiting[0]!.id });
    const welcome = await guest.next('welcome');
    expect(welcome.peers.map((p) => p.id)).toEqual([host.id]);
    expect(await host.socket.next('lobby')).toEqual({ type: 'lobby', waiting: [] });
    expect((await host.socket.next('peer-joined')).peer.id).toBe(welcome.id);
  });

  test('lobby: a denied guest is told and closed; others wait on', async () => {
    const room = await createRoom({ lobby: true });
    const host = await joined(room, 'Host', { hostKey: room.hostKey });
    const first = await open(room.name);
    first.send({ type: 'join', name: 'First' });
    await first.next('waiting');
    const second = await open(room.name);
    second.send({ type: 'join', name: 'Second' });
    await second.next('waiting');
    await host.socket.next('lobby');
    const { waiting } = await host.socket.next('lobby');
    expect(waiting.map((w) => w.name)).toEqual(['First', 'Second']);
    host.socket.send({ type: 'deny', peer: waiting[0]!.id });
    await first.next('denied');
    expect((await first.closed).code).toBe(CLOSE.forbidden);
    expect((await host.socket.next('lobby')).waiting.map((w) => w.name)).toEqual(['Second']);
    // A guest may not admit themselves or anyone.
    second.send({ type: 'admit', peer: waiting[1]!.id });
    expect(await second.next('error')).toMatchObject({ code: 'not-joined' });
  });

  test('host controls: mute, remove, lock; others get not-host', async () => {
    const room = await createRoom();
    const host = await joined(room, 'Host', { hostKey: room.hostKey });
    const bob = await joined(room, 'Bob');
    const carol = await joined(room, 'Carol');
    for (const type of ['mute', 'remove'] as const) {
      carol.socket.send({ type, peer: bob.id });
      expect(await carol.socket.next('error')).toMatchObject({ code: 'not-host', ref: type });
    }
    carol.socket.send({ type: 'lock', locked: true });
    expect(await carol.socket.next('error')).toMatchObject({ code: 'not-host' });

    bob.socket.send({ type: 'state', audio: true, video: true, screen: false });
    await carol.socket.next('state');
    host.socket.send({ type: 'mute', peer: bob.id });
    expect(await bob.socket.next('muted')).toEqual({ type: 'muted', by: host.id });
    expect(await carol.socket.next('state')).toEqual({
      type: 'state',
      peer: bob.id,
      audio: false,
      video: true,
      screen: false,
    });

    host.socket.send({ type: 'remove', peer: bob.id });
    expect(await bob.socket.next('removed')).toEqual({ type: 'removed', by: host.id });
    expect((await bob.socket.closed).code).toBe(CLOSE.gone);
    expect(await carol.socket.next('peer-left')).toEqual({
      type: 'peer-left',
      peer: bob.id,
      reason: 'removed',
    });

    host.socket.send({ type: 'lock', locked: true });
    expect(await carol.socket.next('locked')).toEqual({ type: 'locked', locked: true, by: host.id });
    const late = await open(room.name);
    late.send({ type: 'join', name: 'Late' });
    expect(await late.next('error')).toMatchObject({ code: 'locked', message: 'This meeting is locked.' });
    expect((await late.closed).code).toBe(CLOSE.forbidden);
    expect((await joined(room, 'Cohost', { hostKey: room.hostKey })).welcome.host).toBe(true);
    host.socket.send({ type: 'lock', locked: false });
    await carol.socket.next('locked');
    await joined(room, 'Later');
  });

  test('a full room says so to the one too many', async () => {
    const room = await createRoom();
    for (let i = 1; i <= 6; i++) await joined(room, `Person ${i}`);
    const seventh = await open(room.name);
    seventh.send({ type: 'join', name: 'Seventh' });
    expect(await seventh.next('error')).toEqual({
      type: 'error',
      code: 'room-full',
      message: 'This meeting is full: it holds 6 people.',
      ref: 'join',
    });
    expect((await seventh.closed).code).toBe(CLOSE.roomFull);

    await s.admin.settings.update({ meet: { maxPeers: 7 } });
    await joined(room, 'Seventh');
  });

  test('a full room with a lobby says so at once instead of letting the guest wait', async () => {
    await s.admin.settings.update({ meet: { maxPeers: 2 } });
    const room = await createRoom({ lobby: true });
    await joined(room, 'Host', { hostKey: room.hostKey });
    await joined(room, 'Cohost', { hostKey: room.hostKey });
    const guest = await open(room.name);
    guest.send({ type: 'join', name: 'Guest' });
    expect(await guest.next(['error', 'waiting'])).toMatchObject({
      type: 'error',
      code: 'room-full',
      message: 'This meeting is full: it holds 2 people.',
    });
    expect((await guest.closed).code).toBe(CLOSE.roomFull);
  });
});
