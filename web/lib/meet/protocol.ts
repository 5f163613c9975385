/**
 * Meet's signaling protocol (docs/meet.md): JSON text messages over the WebSocket at
 * `/api/hearth/meet/<room>`, one object per message with a `type`. The server (api/meet) and the
 * browser client share this file: its types, its limits and its two validators. Plain TypeScript —
 * no DOM, no Node — so both sides and the unit tests import it unchanged.
 *
 * The validators never throw: any text is either a well-formed message, rebuilt from only the
 * fields this protocol knows (so nothing unknown is ever relayed), or a rejection with a code.
 */

/** The server's WebSocket maxPayload: a bigger frame from a browser closes the socket with 1009. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * What the browser accepts from the server, in characters of the JSON text. Larger than
 * MAX_MESSAGE_BYTES, and larger than anything the server sends: a relayed `signal` is its
 * (≤ 64 KiB) frame rebuilt with `from` in place of `to`, and `welcome` carries the chat history
 * (≤ MAX_CHAT_HISTORY_CHARS), up to 53 peers of ≤ 60-character names, and the TURN servers.
 */
export const MAX_SERVER_MESSAGE_LENGTH = 256 * 1024;
export const MAX_NAME_LENGTH = 60;
export const MAX_CHAT_LENGTH = 2000;
/** The chat history a room keeps for late joiners (and sends in `welcome`): the newest messages… */
export const MAX_CHAT_HISTORY = 200;
/** …and at most this many characters of them as JSON, whichever is smaller. */
export const MAX_CHAT_HISTORY_CHARS = 48 * 1024;
/** TURN servers in `welcome` (the `meet.turn.urls` setting holds at most 10 URLs, in one entry). */
const MAX_ICE_SERVERS = 16;
const MAX_ICE_URLS = 16;
/** Characters of an SDP blob: a video offer is 5–15 k; the rest of the frame leaves room for escapes. */
export const MAX_SDP_LENGTH = 50_000;
export const MAX_CANDIDATE_LENGTH = 1024;
export const MAX_PASSWORD_LENGTH = 128;
const MAX_TOKEN_LENGTH = 4096;
const MAX_SECRET_LENGTH = 128;
/** How long a peer whose socket dropped keeps its seat for a `join` with `resume`. */
export const RESUME_GRACE_SECONDS = 30;

/** Room names as the server makes them: 12 characters of [a-z0-9] in groups of four. */
const ROOM_NAME = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;
/** Peer, guest and chat ids (the server makes base64url ones). */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isRoomName(value: string): boolean {
  return ROOM_NAME.test(value);
}

/**
 * Perfect negotiation (W3C WebRTC §10.7) needs the two ends of a connection to agree which one is
 * polite, without talking: the one whose id sorts first. `PeerInfo.polite` carries the same answer.
 */
export function isPolite(self: string, other: string): boolean {
  return self < other;
}

export type ErrorCode =
  | 'unknown-room'
  | 'wrong-password'
  | 'room-full'
  | 'members-only'
  | 'locked'
  | 'bad-message'
  | 'unknown-peer'
  | 'not-host'
  | 'not-joined'
  | 'too-large'
  | 'rate-limited';

const ERROR_CODES: readonly string[] = [
  'unknown-room',
  'wrong-password',
  'room-full',
  'members-only',
  'locked',
  'bad-message',
  'unknown-peer',
  'not-host',
  'not-joined',
  'too-large',
  'rate-limited',
] satisfies ErrorCode[];

/** Close codes the server uses (RFC 6455 §7.4; 4000–4999 are the application's). */
export const CLOSE = {
  /** The client said goodbye (`leave`, or a close with 1000/1001): its seat is given up at once. */
  normal: 1000,
  goingAway: 1001,
  /** A binary frame: this protocol is JSON text only. */
  unsupportedData: 1003,
  /** A frame over MAX_MESSAGE_BYTES. */
  tooLarge: 1009,
  /** The same peer resumed on another socket. */
  replaced: 4000,
  /** Too many malformed messages. */
  badMessage: 4400,
  wrongPassword: 4401,
  /** Members only, locked, or denied at the lobby. */
  forbidden: 4403,
  unknownRoom: 4404,
  /** No `join` in time. */
  joinTimeout: 4408,
  roomFull: 4409,
  /** Removed by a host, or the meeting ended. */
  gone: 4410,
  /** Too many wrong passwords, or the server is too busy: try again later. */
  rateLimited: 4429,
} as const;

export interface MediaState {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

/** RTCSessionDescriptionInit with the fields the protocol relays. */
export interface SessionDescription {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp: string;
}

/** RTCIceCandidateInit with the fields the protocol relays. */
export interface IceCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
  usernameFragment: string | null;
}

/** What one peer sends another: a description, or a candidate (null: end of candidates). */
export type SignalData = { description: SessionDescription } | { candidate: IceCandidate | null };

export interface JoinMessage {
  type: 'join';
  /** The display name: trimmed, 1–60 characters, no control characters. */
  name: string;
  password?: string;
  /** The secret from room creation: its presenter is a host. */
  hostKey?: string;
  /** A `users` auth token, for members-only rooms. */
  token?: string;
  /** Take back a seat kept after a dropped socket (the `id` and `secret` of its `welcome`). */
  resume?: { peer: string; secret: string };
}

/** Messages a browser sends. `mute`, `remove`, `lock`, `admit` and `deny` are for hosts. */
export type ClientMessage =
  | JoinMessage
  | { type: 'leave' }
  | { type: 'signal'; to: string; data: SignalData }
  | { type: 'chat'; text: string }
  | ({ type: 'state' } & MediaState)
  | { type: 'mute' | 'remove' | 'admit' | 'deny'; peer: string }
  | { type: 'lock'; locked: boolean };

export interface PeerInfo extends MediaState {
  id: string;
  name: string;
  host: boolean;
  /** Whether the receiver of this message is the polite side towards this peer (isPolite). */
  polite: boolean;
}

export interface ChatEntry {
  id: string;
  /** The sender's peer id. */
  from: string;
  name: string;
  text: string;
  /** Milliseconds since the epoch, by the server's clock. */
  at: number;
}

/** GET /api/hearth/meet/rooms/<name>, and the room part of `welcome`. */
export interface RoomInfo {
  name: string;
  password: boolean;
  lobby: boolean;
  membersOnly: boolean;
  locked: boolean;
  peers: number;
  maxPeers: number;
}

/** RTCIceServer as browsers take it. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface WaitingGuest {
  id: string;
  name: string;
}

export type PeerLeftReason = 'left' | 'removed' | 'dropped';

/** Messages the server sends. */
export type ServerMessage =
  | {
      type: 'welcome';
      id: string;
      /** Keep it for `resume`; it is never sent again. */
      secret: string;
      host: boolean;
      /** True when `resume` took the old seat back (same id; the others saw no leave). */
      resumed: boolean;
      room: RoomInfo;
      /** Everyone else in the room; the newcomer makes the offers. */
      peers: PeerInfo[];
      chat: ChatEntry[];
      /**
       * TURN servers with a time-limited credential (empty when none is configured). Only seated
       * peers get them; the STUN server comes from GET /api/hearth/meet/ice.
       */
      iceServers: IceServer[];
    }
  | { type: 'peer-joined'; peer: PeerInfo }
  | { type: 'peer-left'; peer: string; reason: PeerLeftReason }
  | { type: 'signal'; from: string; data: SignalData }
  | ({ type: 'chat' } & ChatEntry)
  | ({ type: 'state'; peer: string } & MediaState)
  | { type: 'muted'; by: string }
  | { type: 'removed'; by: string }
  | { type: 'locked'; locked: boolean; by: string }
  | { type: 'lobby'; waiting: WaitingGuest[] }
  | { type: 'waiting' }
  | { type: 'denied' }
  | { type: 'ended' }
  | { type: 'error'; code: ErrorCode; message: string; ref?: string };

export type Parsed<T> =
  { ok: true; message: T } | { ok: false; code: 'bad-message' | 'too-large'; reason: string };

/** Thrown by the readers below, caught only in `parse`: nothing else escapes the validators. */
class Invalid extends Error {
  constructor(
    readonly code: 'bad-message' | 'too-large',
    reason: string,
  ) {
    super(reason);
  }
}

type Fields = Readonly<Record<string, unknown>>;

/** An own property: JSON may carry `__proto__` or `constructor` keys, never read through the prototype. */
function field(o: Fields, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Invalid('bad-message', `${what} must be an object.`);
  }
  return value as Fields;
}

function text(o: Fields, key: string, max: number, min = 0): string {
  const value = field(o, key);
  if (typeof value !== 'string') throw new Invalid('bad-message', `"${key}" must be a string.`);
  if (value.length > max) throw new Invalid('too-large', `"${key}" is longer than ${max} characters.`);
  if (value.length < min) throw new Invalid('bad-message', `"${key}" cannot be blank.`);
  return value;
}

function optionalText(o: Fields, key: string, max: number): string | undefined {
  return field(o, key) === undefined ? undefined : text(o, key, max);
}

function flag(o: Fields, key: string): boolean {
  const value = field(o, key);
  if (typeof value !== 'boolean') throw new Invalid('bad-message', `"${key}" must be true or false.`);
  return value;
}

function id(o: Fields, key: string): string {
  const value = field(o, key);
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new Invalid('bad-message', `"${key}" must be a peer id.`);
  }
  return value;
}

function nullableText(o: Fields, key: string, max: number): string | null {
  const value = field(o, key);
  return value === undefined || value === null ? null : text(o, key, max);
}

function index(o: Fields, key: string): number | null {
  const value = field(o, key);
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65_535) {
    throw new Invalid('bad-message', `"${key}" must be a whole number.`);
  }
  return value as number;
}

/** Control characters (C0, DEL, C1), line/paragraph separators and bidirectional overrides. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
// eslint-disable-next-line no-control-regex -- as above, with tab and line feed allowed
const CHAT_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Characters as people count them (code points): a surrogate pair is one, a lone surrogate one too. */
function codePoints(value: string): number {
  let n = value.length;
  for (let i = 1; i < value.length; i++) {
    if ((value.charCodeAt(i) & 0xfc00) === 0xdc00 && (value.charCodeAt(i - 1) & 0xfc00) === 0xd800) n--;
  }
  return n;
}

/** A display name as shown to others: trimmed, 1–60 characters, no control characters. */
function displayName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw new Invalid('bad-message', 'The name cannot be blank.');
  if (codePoints(name) > MAX_NAME_LENGTH) {
    throw new Invalid('too-large', `The name is longer than ${MAX_NAME_LENGTH} characters.`);
  }
  if (CONTROL.test(name)) throw new Invalid('bad-message', 'The name cannot contain control characters.');
  return name;
}

/** A chat text: line ends made `\n`, trimmed, 1–2000 characters, no control characters but tab and line feed. */
function chatText(o: Fields): string {
  const value = text(o, 'text', MAX_CHAT_LENGTH * 2, 1)
    .replace(/\r\n?/g, '\n')
    .trim();
  if (value === '') throw new Invalid('bad-message', 'The message cannot be blank.');
  if (codePoints(value) > MAX_CHAT_LENGTH) {
    throw new Invalid('too-large', `A message holds at most ${MAX_CHAT_LENGTH} characters.`);
  }
  if (CHAT_CONTROL.test(value))
    throw new Invalid('bad-message', 'The message cannot contain control characters.');
  return value;
}

const DESCRIPTION_TYPES: readonly string[] = ['offer', 'answer', 'pranswer', 'rollback'];

function signalData(value: unknown): SignalData {
  const data = object(value, '"data"');
  const hasDescription = field(data, 'description') !== undefined;
  if (hasDescription === Object.hasOwn(data, 'candidate')) {
    throw new Invalid('bad-message', '"data" must hold a description or a candidate.');
  }
  if (hasDescription) {
    const d = object(field(data, 'description'), '"description"');
    const type = field(d, 'type');
    if (typeof type !== 'string' || !DESCRIPTION_TYPES.includes(type)) {
      throw new Invalid('bad-message', 'The description type must be offer, answer, pranswer or rollback.');
    }
    const sdp = field(d, 'sdp') === undefined && type === 'rollback' ? '' : text(d, 'sdp', MAX_SDP_LENGTH);
    return { description: { type: type as SessionDescription['type'], sdp } };
  }
  const raw = field(data, 'candidate');
  if (raw === null) return { candidate: null };
  const c = object(raw, '"candidate"');
  return {
    candidate: {
      candidate: text(c, 'candidate', MAX_CANDIDATE_LENGTH),
      sdpMid: nullableText(c, 'sdpMid', 64),
      sdpMLineIndex: index(c, 'sdpMLineIndex'),
      usernameFragment: nullableText(c, 'usernameFragment', 256),
    },
  };
}

function mediaState(o: Fields): MediaState {
  return { audio: flag(o, 'audio'), video: flag(o, 'video'), screen: flag(o, 'screen') };
}

function readClient(o: Fields, type: string): ClientMessage {
  switch (type) {
    case 'join': {
      const message: JoinMessage = { type, name: displayName(text(o, 'name', MAX_NAME_LENGTH * 4)) };
      const password = optionalText(o, 'password', MAX_PASSWORD_LENGTH);
      const hostKey = optionalText(o, 'hostKey', MAX_SECRET_LENGTH);
      const token = optionalText(o, 'token', MAX_TOKEN_LENGTH);
      if (password !== undefined) message.password = password;
      if (hostKey !== undefined) message.hostKey = hostKey;
      if (token !== undefined) message.token = token;
      if (field(o, 'resume') !== undefined) {
        const resume = object(field(o, 'resume'), '"resume"');
        message.resume = { peer: id(resume, 'peer'), secret: text(resume, 'secret', MAX_SECRET_LENGTH, 1) };
      }
      return message;
    }
    case 'leave':
      return { type };
    case 'signal':
      return { type, to: id(o, 'to'), data: signalData(field(o, 'data')) };
    case 'chat':
      return { type, text: chatText(o) };
    case 'state':
      return { type, ...mediaState(o) };
    case 'mute':
    case 'remove':
    case 'admit':
    case 'deny':
      return { type, peer: id(o, 'peer') };
    case 'lock':
      return { type, locked: flag(o, 'locked') };
  }
  throw new Invalid('bad-message', 'Unknown message type.');
}

function list<T>(value: unknown, what: string, max: number, read: (item: Fields) => T): T[] {
  if (!Array.isArray(value) || value.length > max) {
    throw new Invalid('bad-message', `${what} must be a list of at most ${max}.`);
  }
  return value.map((item) => read(object(item, what)));
}

function chatEntry(o: Fields): ChatEntry {
  const at = field(o, 'at');
  if (typeof at !== 'number' || !Number.isFinite(at))
    throw new Invalid('bad-message', '"at" must be a time.');
  return {
    id: id(o, 'id'),
    from: id(o, 'from'),
    name: text(o, 'name', MAX_NAME_LENGTH * 2, 1),
    text: text(o, 'text', MAX_CHAT_LENGTH * 2, 1),
    at,
  };
}

function peerInfo(o: Fields): PeerInfo {
  return {
    id: id(o, 'id'),
    name: text(o, 'name', MAX_NAME_LENGTH * 2, 1),
    host: flag(o, 'host'),
    polite: flag(o, 'polite'),
    ...mediaState(o),
  };
}

function roomInfo(o: Fields): RoomInfo {
  const count = (key: string): number => {
    const n = field(o, key);
    if (!Number.isInteger(n) || (n as number) < 0)
      throw new Invalid('bad-message', `"${key}" must be a count.`);
    return n as number;
  };
  const name = text(o, 'name', 64);
  if (!isRoomName(name)) throw new Invalid('bad-message', '"name" must be a room name.');
  return {
    name,
    password: flag(o, 'password'),
    lobby: flag(o, 'lobby'),
    membersOnly: flag(o, 'membersOnly'),
    locked: flag(o, 'locked'),
    peers: count('peers'),
    maxPeers: count('maxPeers'),
  };
}

function iceServer(o: Fields): IceServer {
  const raw = field(o, 'urls');
  const url = (value: unknown): string => {
    if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
      throw new Invalid('bad-message', '"urls" must hold URLs.');
    }
    return value;
  };
  let urls: string | string[];
  if (Array.isArray(raw)) {
    if (raw.length > MAX_ICE_URLS) throw new Invalid('bad-message', 'Too many ICE server URLs.');
    urls = raw.map(url);
  } else {
    urls = url(raw);
  }
  const server: IceServer = { urls };
  const username = optionalText(o, 'username', 512);
  const credential = optionalText(o, 'credential', 512);
  if (username !== undefined) server.username = username;
  if (credential !== undefined) server.credential = credential;
  return server;
}

const LEFT_REASONS: readonly string[] = ['left', 'removed', 'dropped'];

function readServer(o: Fields, type: string): ServerMessage {
  switch (type) {
    case 'welcome':
      return {
        type,
        id: id(o, 'id'),
        secret: text(o, 'secret', MAX_SECRET_LENGTH, 1),
        host: flag(o, 'host'),
        resumed: flag(o, 'resumed'),
        room: roomInfo(object(field(o, 'room'), '"room"')),
        peers: list(field(o, 'peers'), '"peers"', 100, peerInfo),
        chat: list(field(o, 'chat'), '"chat"', MAX_CHAT_HISTORY, chatEntry),
        iceServers: list(field(o, 'iceServers'), '"iceServers"', MAX_ICE_SERVERS, iceServer),
      };
    case 'peer-joined':
      return { type, peer: peerInfo(object(field(o, 'peer'), '"peer"')) };
    case 'peer-left': {
      const reason = field(o, 'reason');
      if (typeof reason !== 'string' || !LEFT_REASONS.includes(reason)) {
        throw new Invalid('bad-message', '"reason" must be left, removed or dropped.');
      }
      return { type, peer: id(o, 'peer'), reason: reason as PeerLeftReason };
    }
    case 'signal':
      return { type, from: id(o, 'from'), data: signalData(field(o, 'data')) };
    case 'chat':
      return { type, ...chatEntry(o) };
    case 'state':
      return { type, peer: id(o, 'peer'), ...mediaState(o) };
    case 'muted':
    case 'removed':
      return { type, by: id(o, 'by') };
    case 'locked':
      return { type, locked: flag(o, 'locked'), by: id(o, 'by') };
    case 'lobby':
      return {
        type,
        waiting: list(field(o, 'waiting'), '"waiting"', 1000, (w) => ({
          id: id(w, 'id'),
          name: text(w, 'name', MAX_NAME_LENGTH * 2, 1),
        })),
      };
    case 'waiting':
    case 'denied':
    case 'ended':
      return { type };
    case 'error': {
      const code = field(o, 'code');
      if (typeof code !== 'string' || !ERROR_CODES.includes(code)) {
        throw new Invalid('bad-message', 'Unknown error code.');
      }
      const ref = field(o, 'ref');
      const message = { type, code: code as ErrorCode, message: text(o, 'message', 1000) };
      return typeof ref === 'string' ? { ...message, ref: ref.slice(0, 32) } : message;
    }
  }
  throw new Invalid('bad-message', 'Unknown message type.');
}

function parse<T>(raw: string, read: (o: Fields, type: string) => T, max: number): Parsed<T> {
  try {
    // A string far past the frame limit is not worth parsing (a client may call this on anything).
    if (raw.length > max) throw new Invalid('too-large', 'The message is too large.');
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Invalid('bad-message', 'The message is not JSON.');
    }
    const o = object(value, 'A message');
    const type = field(o, 'type');
    if (typeof type !== 'string') throw new Invalid('bad-message', 'A message needs a "type".');
    return { ok: true, message: read(o, type) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, code: err.code, reason: err.message };
    throw err;
  }
}

/** Checks a message from a browser (used by the server). */
export function parseClientMessage(raw: string): Parsed<ClientMessage> {
  return parse(raw, readClient, MAX_MESSAGE_BYTES);
}

/** Checks a message from the server (used by the browser client). */
export function parseServerMessage(raw: string): Parsed<ServerMessage> {
  return parse(raw, readServer, MAX_SERVER_MESSAGE_LENGTH);
}

/**
 * A display name checked as `join` checks it: the trimmed name, or null (for forms that want to
 * say so before connecting).
 */
export function checkDisplayName(raw: string): string | null {
  try {
    return displayName(raw);
  } catch (err) {
    if (err instanceof Invalid) return null;
    throw err;
  }
}
