import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestSocket } from '../../api/meet/meet.testing';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import { CLOSE } from '../../web/lib/meet/protocol';
import { failure, fieldCode, send, startSdkServer, type SdkServer } from './server';

// Meet's HTTP side (issue 8): making rooms (signed-in users only), reading a room's public facts,
// the ICE servers with TURN REST API credentials, and meet's rate limits.

let s: SdkServer;
let user: Awaited<ReturnType<SdkServer['signUp']>>;

beforeAll(async () => {
  s = await startSdkServer();
  await s.admin.settings.update({ rateLimits: { enabled: false, rules: DEFAULT_RATE_LIMIT_RULES } });
  user = await s.signUp();
});
afterAll(async () => {
  await s?.close();
});

const ROOMS = '/api/hearth/meet/rooms';

/** A room made by `user`, or by a new user once `user` runs 20 (the cap per user). */
async function createRoom(body: unknown = {}): Promise<{ name: string; hostKey: string }> {
  try {
    return (await send(user.client, ROOMS, { method: 'POST', body })) as never;
  } catch (err) {
    if ((err as { message?: string }).message !== 'You have 20 meetings running already.') throw err;
    user = await s.signUp();
    return (await send(user.client, ROOMS, { method: 'POST', body })) as never;
  }
}

/** GET with a Host header of our choosing (fetch cannot set one). */
function getWithHost(
  path: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { headers: { ...headers, host } }, (res) => {
      let raw = '';
      res.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(raw) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('POST /api/hearth/meet/rooms', () => {
  test('guests get 401, records of other collections 403', async () => {
    expect((await failure(send(s.newClient(), ROOMS, { method: 'POST', body: {} }))).status).toBe(401);
    expect((await failure(send(s.admin, ROOMS, { method: 'POST', body: {} }))).status).toBe(403);
  });

  test('no body at all makes a room with every option off', async () => {
    const res = await fetch(`${s.url}${ROOMS}`, { method: 'POST', headers: { authorization: user.token } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { name } = (await res.json()) as { name: string };
    expect(await send(s.newClient(), `${ROOMS}/${name}`)).toMatchObject({
      password: false,
      lobby: false,
      membersOnly: false,
    });
  });

  test.each([
    ['password', { password: 42 }, 'validation_invalid_value'],
    ['password', { password: 'x'.repeat(129) }, 'validation_length_too_long'],
    ['lobby', { lobby: 'yes' }, 'validation_invalid_value'],
    ['membersOnly', { membersOnly: 1 }, 'validation_invalid_value'],
  ])('a bad %s → 400 with its field', async (field, body, code) => {
    const err = await failure(createRoom(body));
    expect(err.status).toBe(400);
    expect(fieldCode(err, field)).toBe(code);
  });

  test('a body that is not a JSON object → 400', async () => {
    for (const body of ['[1]', '{"password":', '"x"']) {
      const res = await fetch(`${s.url}${ROOMS}`, {
        method: 'POST',
        headers: { authorization: user.token, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
    }
  });
});

describe('GET /api/hearth/meet/rooms/<name>', () => {
  test.each([['zzzz-zzzz-zzzz'], ['not-a-room'], ['..%2f..%2fsettings']])('%s → 404', async (name) => {
    const res = await fetch(`${s.url}${ROOMS}/${name}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      status: 404,
      message: "The requested resource wasn't found.",
      data: {},
    });
  });

  test('the name is found whatever its case; the host key is never shown', async () => {
    const room = await createRoom({ password: 'sesame' });
    const info = await send(s.newClient(), `${ROOMS}/${room.name.toUpperCase()}`);
    expect(Object.keys(info).sort()).toEqual(
      ['lobby', 'maxPeers', 'membersOnly', 'name', 'password', 'locked', 'peers'].sort(),
    );
    expect(JSON.stringify(info)).not.toContain(room.hostKey);
    expect(JSON.stringify(info)).not.toContain('sesame');
  });
});

describe('GET /api/hearth/meet/ice', () => {
  test('an unknown room → 404', async () => {
    expect((await fetch(`${s.url}/api/hearth/meet/ice?room=zzzz-zzzz-zzzz`)).status).toBe(404);
    expect((await fetch(`${s.url}/api/hearth/meet/ice`)).status).toBe(404);
  });

  test.each([
    ['meet.example.org:8443', 'stun:meet.example.org:3478'],
    ['Meet.Example.org', 'stun:meet.example.org:3478'],
    ['[::1]:8090', 'stun:[::1]:3478'],
    ['127.0.0.1:8090', 'stun:127.0.0.1:3478'],
  ])('STUN on the host the browser used (%s)', async (host, url) => {
    const { name } = await createRoom();
    const { status, body } = await getWithHost(`/api/hearth/meet/ice?room=${name}`, host);
    expect(status).toBe(200);
    expect(body).toEqual({ iceServers: [{ urls: url }] });
  });

  test('behind a trusted proxy, the forwarded host', async () => {
    const { name } = await createRoom();
    const path = `/api/hearth/meet/ice?room=${name}`;
    const forwarded = { 'x-forwarded-host': 'meet.example.org' };
    expect((await getWithHost(path, '127.0.0.1:8090', forwarded)).body).toEqual({
      iceServers: [{ urls: 'stun:127.0.0.1:3478' }], // no proxy trusted: anyone could send the header
    });
    await s.admin.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'] } });
    try {
      expect((await getWithHost(path, '127.0.0.1:8090', forwarded)).body).toEqual({
        iceServers: [{ urls: 'stun:meet.example.org:3478' }],
      });
    } finally {
      await s.admin.settings.update({ trustedProxy: { headers: [] } });
    }
  });

  test('the STUN port setting, and no STUN when it is off', async () => {
    const { name } = await createRoom();
    await s.admin.settings.update({ meet: { 'stun.port': 3479 } });
    expect((await getWithHost(`/api/hearth/meet/ice?room=${name}`, 'h.example:1')).body).toEqual({
      iceServers: [{ urls: 'stun:h.example:3479' }],
    });
    await s.admin.settings.update({ meet: { 'stun.enabled': false, 'stun.port': 3478 } });
    expect(await send(s.newClient(), '/api/hearth/meet/ice', { query: { room: name } })).toEqual({
      iceServers: [],
    });
    await s.admin.settings.update({ meet: { 'stun.enabled': true } });
  });

  test('TURN: a time-limited credential coturn can check (HMAC-SHA1 of the username), in welcome only', async () => {
    const { name } = await createRoom();
    const secret = 'coturn-static-auth-secret';
    const urls = ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'];
    await s.admin.settings.update({ meet: { 'turn.urls': urls, 'turn.secret': secret, 'turn.ttl': 600 } });
    try {
      // GET /ice answers anyone who knows the room's name: STUN only, never a TURN credential.
      const ice = await send(s.newClient(), '/api/hearth/meet/ice', { query: { room: name } });
      expect(ice).toEqual({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
      for (const [token, who] of [
        [user.token, user.record.id],
        [undefined, 'guest-'],
      ] as const) {
        const before = Math.floor(Date.now() / 1000);
        const socket = await TestSocket.open(s.url, name);
        const { iceServers } = await socket.join('Someone', token ? { token } : {});
        await socket.close(1000);
        const turn = iceServers.find((e) => Array.isArray(e.urls)) as {
          urls: string[];
          username: string;
          credential: string;
        };
        expect(turn.urls).toEqual(urls);
        const [expiry, id] = turn.username.split(':') as [string, string];
        expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
        expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
        expect(id.startsWith(who)).toBe(true);
        expect(turn.credential).toBe(createHmac('sha1', secret).update(turn.username).digest('base64'));
        expect(turn.credential).not.toBe(
          createHmac('sha1', 'another secret').update(turn.username).digest('base64'),
        );
      }
    } finally {
      // The settings API keeps a secret when sent '' (so a form never wipes it): cleared in the store.
      s.hearth.settings.set({ 'meet.turn.urls': [], 'meet.turn.secret': '', 'meet.turn.ttl': 86400 });
    }
  });

  test('TURN servers without a secret are not handed out', async () => {
    const { name } = await createRoom();
    await s.admin.settings.update({ meet: { 'turn.urls': ['turn:turn.example.org:3478'] } });
    try {
      const socket = await TestSocket.open(s.url, name);
      expect((await socket.join('Someone')).iceServers).toEqual([]);
      await socket.close(1000);
    } finally {
      await s.admin.settings.update({ meet: { 'turn.urls': [] } });
    }
  });
});

// Last: these fill this address's windows for the rest of the file.
describe('rate limits (on by default, per client address)', () => {
  test('room lookups: 60 a minute, then 429 with Retry-After', async () => {
    await s.admin.settings.update({ rateLimits: { enabled: true } });
    const { name } = await createRoom();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      const res = await fetch(`${s.url}/api/hearth/meet/${i % 2 ? 'ice?room=' : 'rooms/'}${name}`);
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses.slice(0, 60).every((x) => x === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
  });

  test('making rooms: 10 a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push(
        await createRoom().then(
          () => 200,
          (err: { status: number }) => err.status,
        ),
      );
    }
    // The earlier room of the previous test counted too.
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses[0]).toBe(200);
  });

  test('wrong meeting passwords: 5 a minute per room, then rate-limited even for the right one', async () => {
    await s.admin.settings.update({ rateLimits: { enabled: false } });
    const room = await createRoom({ password: 'sesame' });
    await s.admin.settings.update({ rateLimits: { enabled: true } });
    const attempt = async (password: string) => {
      const socket = await TestSocket.open(s.url, room.name);
      socket.send({ type: 'join', name: 'Guesser', password });
      const reply = await socket.next(['error', 'welcome']);
      const { code } = await socket.close();
      return { reply: reply.type === 'error' ? reply.code : reply.type, code };
    };
    expect(await attempt('sesame')).toMatchObject({ reply: 'welcome' }); // a right password is not counted
    for (let i = 0; i < 5; i++)
      expect(await attempt(`guess ${i}`)).toEqual({ reply: 'wrong-password', code: CLOSE.wrongPassword });
    expect(await attempt('sesame')).toEqual({ reply: 'rate-limited', code: CLOSE.rateLimited });
  });

  test('WebSocket connections: 60 a minute, then the handshake answers 429', async () => {
    await s.admin.settings.update({ rateLimits: { enabled: false } });
    const { name } = await createRoom();
    await s.admin.settings.update({ rateLimits: { enabled: true } });
    // The previous test opened 7.
    let refused: { status: number; body: unknown } | undefined;
    for (let i = 0; i < 60 && !refused; i++) {
      try {
        await (await TestSocket.open(s.url, name)).close();
      } catch {
        refused = await TestSocket.refused(s.url, `/api/hearth/meet/${name}`);
      }
    }
    expect(refused).toEqual({ status: 429, body: { status: 429, message: 'Too Many Requests.', data: {} } });
  });
});
