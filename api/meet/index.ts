import { clientIp } from '../core/client-ip';
import { ApiError, fieldError, type ErrorData } from '../core/errors';
import { readJsonBody, requestHeader, type ApiApp, type ApiContext, type AuthRecord } from '../core/http';
import type { Deps } from '../main';
import { CLOSE, MAX_PASSWORD_LENGTH } from '../../web/lib/meet/protocol';
import { hostName, stunServers } from './meet.ice';
import { MeetLimiter } from './meet.limits';
import { meetTimings, Rooms, type RoomOptions } from './meet.rooms';
import type { Session } from './meet.signaling';
import { SIGNALING_PREFIX, signalingUpgrade } from './meet.upgrade';

/** PocketBase's `users` collection id: its records may make rooms. */
const USERS_COLLECTION_ID = '_pb_users_auth_';
/** Rooms running at once, and per user: memory stays bounded whoever asks. */
const ROOMS_MAX = 1000;
const ROOMS_PER_USER = 20;

/**
 * Meet's server side (issue 8): rooms and the signaling WebSocket for mesh WebRTC calls
 * (docs/meet.md). The media never touch Hearth; it relays offers, answers and candidates between
 * the browsers of one room, keeps the room's chat while it runs, and hands out ICE servers.
 *
 * - `POST /api/hearth/meet/rooms` `{password?, lobby?, membersOnly?}` → `{name, hostKey}`: signed-in
 *   `users` only (401 for guests, 403 for other collections).
 * - `GET /api/hearth/meet/rooms/<name>` → the room's public facts (RoomInfo), or 404.
 * - `GET /api/hearth/meet/ice?room=<name>` → `{iceServers}` (STUN only), for anyone who knows a room;
 *   TURN servers and their credentials come in `welcome`, to seated peers only.
 * - WebSocket `/api/hearth/meet/<name>`: the protocol of web/lib/meet/protocol.ts.
 *
 * All of it rate limited per client address (meet.limits.ts).
 */
export function register(app: ApiApp, deps: Deps): void {
  const rooms = new Rooms();
  const limiter = new MeetLimiter(() => deps.settings.get('rateLimits.enabled'));
  const sessions = new Set<Session>();
  const heartbeat = heartbeats(sessions);
  deps.upgrades.add(SIGNALING_PREFIX, signalingUpgrade(deps, rooms, { deps, limiter }, sessions, heartbeat));
  // Rooms live in memory: when the server stops, the meetings end (and their sockets close).
  deps.bus.subscribe('ServerClosing', () => {
    rooms.endAll();
    for (const session of sessions) session.close(CLOSE.goingAway, 'the server is stopping');
  });

  const address = (c: ApiContext) =>
    clientIp(c, deps.settings.get('trustedProxy.headers'), deps.settings.get('trustedProxy.useLeftmostIP'));

  app.post('/api/hearth/meet/rooms', async (c) => {
    const auth = requireUser(c);
    limiter.enforce('create', address(c));
    const options = roomOptions(await readJsonBody(c, { optional: true }));
    // Counted with the rooms still being made (hashing a password), and reserved by `create` before
    // it awaits anything: parallel requests cannot all pass these checks.
    if (rooms.size >= ROOMS_MAX) {
      throw new ApiError(503, 'Too many meetings are running, please try again later.');
    }
    if (rooms.countBy(auth.id) >= ROOMS_PER_USER) {
      throw ApiError.badRequest(`You have ${ROOMS_PER_USER} meetings running already.`);
    }
    const { room, hostKey } = await rooms.create(auth.id, options);
    c.header('cache-control', 'no-store');
    return c.json({ name: room.name, hostKey });
  });

  app.get('/api/hearth/meet/rooms/:name', (c) => {
    limiter.enforce('lookup', address(c));
    const room = rooms.get(c.req.param('name').toLowerCase());
    if (!room) throw ApiError.notFound();
    return c.json(room.info(deps.settings.get('meet.maxPeers')));
  });

  app.get('/api/hearth/meet/ice', (c) => {
    limiter.enforce('lookup', address(c));
    // The same 404 for a missing, malformed or unknown room: ICE servers are for meetings only.
    if (!rooms.get((c.req.query('room') ?? '').toLowerCase())) throw ApiError.notFound();
    // The host the browser typed: behind a trusted proxy, the one it forwarded (as the Origin check).
    const forwarded = deps.settings.get('trustedProxy.headers').length > 0;
    const host =
      (forwarded && requestHeader(c, 'x-forwarded-host')?.split(',')[0]?.trim()) || requestHeader(c, 'host');
    c.header('cache-control', 'no-store');
    return c.json({ iceServers: stunServers(deps.settings, hostName(host)) });
  });
}

function requireUser(c: ApiContext): AuthRecord {
  const auth = c.get('auth');
  if (!auth) throw ApiError.unauthorized('The request requires valid record authorization token.');
  if (auth.collectionId !== USERS_COLLECTION_ID) {
    throw ApiError.forbidden('The authorized record is not allowed to perform this action.');
  }
  return auth;
}

/** A JSON object body, or `{}` when there is none (every option is optional). */
/** `{password?, lobby?, membersOnly?}` checked field by field, as PocketBase reports validation. */
function roomOptions(body: Record<string, unknown>): RoomOptions {
  const data: ErrorData = {};
  const { password, lobby, membersOnly } = body;
  if (password !== undefined && password !== null && password !== '') {
    if (typeof password !== 'string') {
      Object.assign(data, fieldError('password', 'validation_invalid_value', 'Must be a string.'));
    } else if (password.length > MAX_PASSWORD_LENGTH) {
      Object.assign(
        data,
        fieldError(
          'password',
          'validation_length_too_long',
          `Must be at most ${MAX_PASSWORD_LENGTH} characters.`,
        ),
      );
    }
  }
  for (const [key, value] of [
    ['lobby', lobby],
    ['membersOnly', membersOnly],
  ] as const) {
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      Object.assign(data, fieldError(key, 'validation_invalid_value', 'Must be true or false.'));
    }
  }
  if (Object.keys(data).length > 0) throw ApiError.badRequest('Failed to create the meeting.', data);
  return {
    ...(typeof password === 'string' && password !== '' ? { password } : {}),
    lobby: lobby === true,
    membersOnly: membersOnly === true,
  };
}

/**
 * Pings every socket each meetTimings.heartbeatMs (a socket that missed the last pong is dropped,
 * which keeps its seat for a resume). It runs only while sockets are open, so an idle Hearth, or
 * one a test closed, has no timer; the returned function starts it.
 */
function heartbeats(sessions: Set<Session>): () => void {
  let timer: NodeJS.Timeout | null = null;
  let due = 0;
  const schedule = () => {
    due = Date.now() + meetTimings.heartbeatMs;
    timer = setTimeout(tick, meetTimings.heartbeatMs).unref();
  };
  const tick = () => {
    timer = null;
    if (sessions.size === 0) return;
    for (const session of sessions) session.heartbeat();
    schedule();
  };
  return () => {
    // Also when the period was shortened since the pending tick was planned.
    if (timer && due <= Date.now() + meetTimings.heartbeatMs) return;
    if (timer) clearTimeout(timer);
    schedule();
  };
}
