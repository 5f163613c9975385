import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { meetTimings } from '../../../api/meet/meet.rooms';
import { TestSocket } from '../../../api/meet/meet.testing';
import { DEFAULT_RATE_LIMIT_RULES } from '../../../api/ratelimit/settings.defs';
import { send as sendHttp, startSdkServer, type SdkServer } from '../../../tests/sdk/server';
import { CLOSE, type ServerMessage, type SignalData } from './protocol';
import {
  SignalingClient,
  type SignalingOptions,
  type SignalingStatus,
  type SignalingTimers,
  type SocketConstructor,
  type SocketLike,
  type StatusDetail,
} from './signaling.client';

// The browser's signaling client against a real Hearth on loopback, through `ws` sockets that send
// an Origin as a browser does (the server checks it against Host). The other people in the room are
// plain TestSockets, which check every message they get with the protocol's validator.

let s: SdkServer;
let owner: Awaited<ReturnType<SdkServer['signUp']>>;
const clients: SignalingClient[] = [];
const others: TestSocket[] = [];
const defaults = { ...meetTimings };

beforeAll(async () => {
  s = await startSdkServer();
  await s.admin.settings.update({ rateLimits: { enabled: false, rules: DEFAULT_RATE_LIMIT_RULES } });
  owner = await s.signUp();
});
afterAll(async () => {
  await s?.close();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const other of others) expect(other.invalid).toEqual([]);
  await Promise.all(others.splice(0).map((o) => o.close()));
  Object.assign(meetTimings, defaults);
});

/** A `ws` socket behind the SocketLike interface, keeping what it sent; `all` has every one made. */
class OriginSocket implements SocketLike {
  static all: OriginSocket[] = [];
  readonly ws: WebSocket;
  readonly sent: unknown[] = [];
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;

  constructor(url: string) {
    this.ws = new WebSocket(url, { origin: s.url });
    this.ws.on('open', () => this.onopen?.({}));
    // As a browser's MessageEvent: text frames as strings, binary ones as something else.
    this.ws.on('message', (data: Buffer, isBinary) =>
      this.onmessage?.({ data: isBinary ? data : data.toString('utf8') }),
    );
    this.ws.on('error', (err) => this.onerror?.(err));
    this.ws.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
    OriginSocket.all.push(this);
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
    this.ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

/** Timers the test runs by hand: `fire()` runs what is due, `time` is what now() says. */
class ManualTimers implements SignalingTimers {
  time = 1_000_000;
  readonly delays: number[] = [];
  #pending = new Map<number, () => void>();
  #next = 0;
  constructor(private readonly auto = false) {}

  setTimeout(callback: () => void, ms: number): unknown {
    this.delays.push(ms);
    const handle = ++this.#next;
    this.#pending.set(handle, callback);
    if (this.auto) queueMicrotask(() => this.#run(handle));
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }
  now(): number {
    return this.time;
  }
  get pending(): number {
    return this.#pending.size;
  }
  fire(): void {
    for (const handle of [...this.#pending.keys()]) this.#run(handle);
  }
  #run(handle: number): void {
    const callback = this.#pending.get(handle);
    this.#pending.delete(handle);
    callback?.();
  }
}

/** A client with everything it reported recorded, and ways to wait for it. */
function track(room: string, join: SignalingOptions['join'], options: Partial<SignalingOptions> = {}) {
  const messages: ServerMessage[] = [];
  const statuses: { status: SignalingStatus; detail?: StatusDetail }[] = [];
  const before = OriginSocket.all.length;
  const client = new SignalingClient({
    url: `${s.url.replace(/^http/, 'ws')}/api/hearth/meet/${room}`,
    join,
    WebSocketImpl: OriginSocket satisfies SocketConstructor,
    onMessage: (m) => messages.push(m),
    onStatus: (status, detail) => statuses.push({ status, detail }),
    random: () => 1,
    ...options,
  });
  clients.push(client);
  const until = async <T>(find: () => T | undefined, what: string): Promise<T> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${what}; statuses ${JSON.stringify(statuses)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    client,
    messages,
    statuses,
    /** The sockets this client opened, oldest first. */
    sockets: () => OriginSocket.all.slice(before),
    /** The nth (from 1) report of `status`. */
    status: (status: SignalingStatus, nth = 1) =>
      until(() => statuses.filter((x) => x.status === status)[nth - 1], status),
    message: <T extends ServerMessage['type']>(type: T, nth = 1) =>
      until(
        () => messages.filter((m) => m.type === type)[nth - 1] as Extract<ServerMessage, { type: T }>,
        type,
      ),
  };
}

async function createRoom(options: Record<string, unknown> = {}) {
  return (await sendHttp(owner.client, '/api/hearth/meet/rooms', {
    method: 'POST',
    body: options,
  })) as never as {
    name: string;
    hostKey: string;
  };
}

/** Someone already in the room: a TestSocket with its welcome. */
async function seated(room: string, name: string, extra: Record<string, unknown> = {}) {
  const socket = await TestSocket.open(s.url, room, { origin: s.url });
  others.push(socket);
  const welcome = await socket.join(name, extra);
  return { socket, id: welcome.id };
}

const OFFER: SignalData = { description: { type: 'offer', sdp: 'v=0\r\n' } };

describe('SignalingClient', () => {
  test('joins and hands over the welcome; the others see it arrive', async () => {
    const room = await createRoom({ password: 'sesame' });
    const alice = await seated(room.name, 'Alice', { hostKey: room.hostKey });
    const bob = track(room.name, { name: 'Bob', password: 'sesame' });
    bob.client.connect();
    const joined = await bob.status('joined');
    const welcome = await bob.message('welcome');
    expect(welcome).toMatchObject({ resumed: false, host: false, peers: [{ id: alice.id, name: 'Alice' }] });
    expect(joined.detail).toEqual({ id: welcome.id, resumed: false });
    expect(bob.client.id).toBe(welcome.id);
    expect(bob.statuses.map((x) => x.status)).toEqual(['connecting', 'joined']);
    expect((await alice.socket.next('peer-joined')).peer).toMatchObject({ id: welcome.id, name: 'Bob' });
    expect(bob.sockets()[0]!.sent).toEqual([{ type: 'join', name: 'Bob', password: 'sesame' }]);
  });

  test('server messages that fail the validator are ignored, not thrown', async () => {
    const room = await createRoom();
    const alice = await seated(room.name, 'Alice');
    const bob = track(room.name, { name: 'Bob' });
    bob.client.connect();
    await bob.status('joined');
    const socket = bob.sockets()[0]!;
    for (const bad of [
      'not json',
      '{"type":"welcome"}',
      '{"type":"peer-left","peer":"../x","reason":"left"}',
      '{"type":"nope"}',
      '[]',
    ]) {
      socket.onmessage?.({ data: bad });
    }
    socket.onmessage?.({ data: new ArrayBuffer(4) });
    alice.socket.send({ type: 'signal', to: bob.client.id, data: OFFER });
    await bob.message('signal');
    expect(bob.messages.map((m) => m.type)).toEqual(['welcome', 'signal']);
    expect(bob.client.status).toBe('joined');
  });

  test('a dropped socket reconnects and resumes the same seat; the others see no leave', async () => {
    const timers = new ManualTimers(true);
    const room = await createRoom({ password: 'sesame' });
    const alice = await seated(room.name, 'Alice', { password: 'sesame' });
    const bob = track(room.name, { name: 'Bob', password: 'sesame' }, { timers });
    bob.client.connect();
    const first = await bob.message('welcome');
    await alice.socket.next('peer-joined');

    bob.sockets()[0]!.ws.terminate(); // no close frame: a network drop
    expect((await bob.status('reconnecting')).detail).toMatchObject({ attempt: 1, delay: 500, code: 1006 });
    const again = await bob.status('joined', 2);
    expect(again.detail).toEqual({ id: first.id, resumed: true });
    expect(await bob.message('welcome', 2)).toMatchObject({ id: first.id, resumed: true });
    expect(bob.sockets()[1]!.sent).toEqual([
      { type: 'join', name: 'Bob', password: 'sesame', resume: { peer: first.id, secret: first.secret } },
    ]);
    expect(await alice.socket.within(200)).toEqual([]);
    alice.socket.send({ type: 'signal', to: first.id, data: OFFER });
    expect(await bob.message('signal')).toEqual({ type: 'signal', from: alice.id, data: OFFER });
  });

  test('past the resume window it joins afresh and says so', async () => {
    meetTimings.graceMs = 100;
    const timers = new ManualTimers();
    const room = await createRoom();
    const alice = await seated(room.name, 'Alice');
    const bob = track(room.name, { name: 'Bob' }, { timers });
    bob.client.connect();
    const first = await bob.message('welcome');
    await alice.socket.next('peer-joined');
    bob.sockets()[0]!.ws.terminate();
    await bob.status('reconnecting');
    expect(await alice.socket.next('peer-left')).toEqual({
      type: 'peer-left',
      peer: first.id,
      reason: 'dropped',
    });
    timers.time += 31_000;
    timers.fire();
    const again = await bob.status('joined', 2);
    expect(bob.sockets()[1]!.sent).toEqual([{ type: 'join', name: 'Bob' }]); // no resume
    expect(again.detail).toMatchObject({ resumed: false, rejoined: true, previousId: first.id });
    expect(again.detail?.id).not.toBe(first.id);
    expect(bob.client.id).toBe(again.detail?.id);
    expect((await alice.socket.next('peer-joined')).peer.id).toBe(again.detail?.id);
  });

  test('a message sent while reconnecting is delivered after the resume', async () => {
    const timers = new ManualTimers();
    const room = await createRoom();
    const alice = await seated(room.name, 'Alice');
    const bob = track(room.name, { name: 'Bob' }, { timers });
    bob.client.connect();
    const first = await bob.message('welcome');
    bob.sockets()[0]!.ws.terminate();
    await bob.status('reconnecting');
    expect(bob.client.send({ type: 'signal', to: alice.id, data: OFFER })).toBe(true);
    expect(bob.client.send({ type: 'chat', text: 'back soon' })).toBe(true);
    timers.fire();
    await bob.status('joined', 2);
    expect(await alice.socket.next('signal')).toEqual({ type: 'signal', from: first.id, data: OFFER });
    expect(await alice.socket.next('chat')).toMatchObject({ from: first.id, text: 'back soon' });
    expect(await alice.socket.within(100, 'peer-left')).toEqual([]);
  });

  test.each([
    {
      what: 'an unknown room',
      room: 'zzzz-zzzz-9999',
      join: {},
      code: CLOSE.unknownRoom,
      error: 'unknown-room',
    },
    {
      what: 'a wrong password',
      room: '',
      join: { password: 'nope' },
      code: CLOSE.wrongPassword,
      error: 'wrong-password',
    },
    { what: 'no password', room: '', join: {}, code: CLOSE.wrongPassword, error: 'wrong-password' },
  ])(
    'a refusal ($what) is final: closed with the error, no reconnect',
    async ({ room, join, code, error }) => {
      const timers = new ManualTimers(true);
      const name = room || (await createRoom({ password: 'sesame' })).name;
      const bob = track(name, { name: 'Bob', ...join }, { timers });
      bob.client.connect();
      const closed = await bob.status('closed');
      expect(closed.detail).toMatchObject({ code, error: { code: error } });
      expect(bob.statuses.map((x) => x.status)).toEqual(['connecting', 'closed']);
      expect(bob.messages).toMatchObject([{ type: 'error', code: error }]);
      expect(timers.delays).toEqual([]);
      expect(bob.client.send({ type: 'chat', text: 'hello?' })).toBe(false);
    },
  );

  test('removed by a host: closed, no reconnect', async () => {
    const timers = new ManualTimers(true);
    const room = await createRoom();
    const alice = await seated(room.name, 'Alice', { hostKey: room.hostKey });
    const bob = track(room.name, { name: 'Bob' }, { timers });
    bob.client.connect();
    const welcome = await bob.message('welcome');
    alice.socket.send({ type: 'remove', peer: welcome.id });
    expect((await bob.status('closed')).detail).toMatchObject({ code: CLOSE.gone });
    expect(await bob.message('removed')).toEqual({ type: 'removed', by: alice.id });
    expect(timers.delays).toEqual([]);
  });

  test('close() sends leave and closes with 1000; the others see the seat given up', async () => {
    const room = await createRoom();
    const alice = await seated(room.name, 'Alice');
    const bob = track(room.name, { name: 'Bob' });
    bob.client.connect();
    const welcome = await bob.message('welcome');
    await alice.socket.next('peer-joined');
    const socket = bob.sockets()[0]!;
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (c) => resolve(c)));
    bob.client.close();
    expect(socket.sent.at(-1)).toEqual({ type: 'leave' });
    expect(await closed).toBe(CLOSE.normal);
    expect(await alice.socket.next('peer-left')).toEqual({
      type: 'peer-left',
      peer: welcome.id,
      reason: 'left',
    });
    expect(bob.statuses.at(-1)).toEqual({ status: 'closed', detail: { code: 1000, reason: '' } });
    expect(bob.client.send({ type: 'chat', text: 'x' })).toBe(false);
  });
});

describe('backoff', () => {
  /** A socket that never gets through: it closes (1006) as soon as it is made. */
  class Unreachable implements SocketLike {
    readyState = 0;
    onopen: SocketLike['onopen'] = null;
    onmessage: SocketLike['onmessage'] = null;
    onclose: SocketLike['onclose'] = null;
    onerror: SocketLike['onerror'] = null;
    constructor() {
      queueMicrotask(() => {
        this.readyState = 3;
        this.onclose?.({ code: 1006, reason: '' });
      });
    }
    send(): void {}
    close(): void {}
  }

  test('doubles from 0.5 s to at most 8 s, with jitter, until closed', async () => {
    const timers = new ManualTimers();
    const jitter = [1, 1, 1, 1, 1, 1, 0];
    const client = new SignalingClient({
      url: 'ws://nowhere.invalid/api/hearth/meet/aaaa-bbbb-cccc',
      join: { name: 'Bob' },
      WebSocketImpl: Unreachable,
      timers,
      random: () => jitter.shift() ?? 0,
    });
    clients.push(client);
    client.connect();
    for (let i = 0; i < 7; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      timers.fire();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(timers.delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 4000, 4000]);
    client.close();
    expect(timers.pending).toBe(0);
    expect(client.status).toBe('closed');
  });
});
