import type { RawData, WebSocket } from 'ws';
import { authenticateToken } from '../auth/record-tokens';
import type { Deps } from '../main';
import {
  CLOSE,
  parseClientMessage,
  type ClientMessage,
  type ErrorCode,
  type JoinMessage,
  type ServerMessage,
} from '../../web/lib/meet/protocol';
import { turnServers } from './meet.ice';
import { newId } from './meet.ids';
import { TokenBucket, type MeetLimiter } from './meet.limits';
import { meetTimings, type Connection, type Guest, type Peer, type Room } from './meet.rooms';

/** PocketBase's `users` collection id: members-only rooms admit its records. */
const USERS_COLLECTION_ID = '_pb_users_auth_';

/** Malformed messages a socket may send before it is closed (4400): a bug, not a flood. */
const BAD_MESSAGES_MAX = 5;
/** Past this much unsent data the reader is too slow to follow a call: it is dropped. */
const BUFFERED_MAX = 2 * 1024 * 1024;
/**
 * Relayed signals are not queued past this much unsent data: the sender gets `rate-limited`. Well
 * below BUFFERED_MAX, so that other peers' signals can never get a reader dropped.
 */
const RELAY_BUFFERED_MAX = 512 * 1024;
/**
 * Bytes a socket may send: a burst, then a steady rate. A newcomer sends an offer (5–15 KB) to
 * everyone, so the burst grows with the room's size; a stream of 64 KiB frames soon runs out.
 */
const BYTES_BURST = 256 * 1024;
const BYTES_BURST_PER_PEER = 48 * 1024;
const BYTES_PER_SECOND = 64 * 1024;
/** Hosts may join a room past `meet.maxPeers`, by this many: guests cannot keep them out. */
export const HOST_SEATS_EXTRA = 3;
/** People waiting at one room's lobby. */
const WAITING_MAX = 20;

export interface SignalingContext {
  deps: Pick<Deps, 'settings' | 'db' | 'collections' | 'logger'>;
  limiter: MeetLimiter;
}

/**
 * One WebSocket on a room: the protocol of web/lib/meet/protocol.ts, validated there, applied here.
 * The socket is a guest until `join` seats it as a peer (or puts it in the lobby). Nothing a socket
 * sends reaches anyone outside its room: `signal` goes only to a peer of the same room.
 */
export class Session implements Connection {
  #peer: Peer | null = null;
  #guest: Guest | null = null;
  #joining = false;
  /** The socket gave its seat up (`leave`): its close must not keep it. */
  #left = false;
  #bad = 0;
  #alive = true;
  #noticeAt = 0;
  /** The `users` record id of a valid `join` token: the user its TURN credential names. */
  #turnUser: string | null = null;
  readonly #messages = new TokenBucket(200, 40);
  readonly #chats = new TokenBucket(10, 1);
  readonly #bytes: TokenBucket;
  readonly #joinTimer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly room: Room,
    private readonly address: string,
    private readonly ctx: SignalingContext,
    /** Called once the socket is seated or waits at the lobby (it no longer counts as pending). */
    private readonly settled: () => void = () => {},
  ) {
    const maxPeers = ctx.deps.settings.get('meet.maxPeers');
    this.#bytes = new TokenBucket(Math.max(BYTES_BURST, maxPeers * BYTES_BURST_PER_PEER), BYTES_PER_SECOND);
    this.#joinTimer = setTimeout(
      () => this.close(CLOSE.joinTimeout, 'no join in time'),
      meetTimings.joinTimeoutMs,
    );
    this.#joinTimer.unref();
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => (this.#alive = true));
    // ws reports protocol errors (too large, bad UTF-8) here and then closes with the right code.
    ws.on('error', (err) => ctx.deps.logger.debug({ err, room: room.name }, 'meet socket error'));
  }

  send(message: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > BUFFERED_MAX) {
      this.ws.terminate();
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  relay(message: ServerMessage): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return true; // lost as to a dropped peer: it renegotiates
    if (this.ws.bufferedAmount > RELAY_BUFFERED_MAX) return false;
    this.send(message);
    return true;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Called every meetTimings.heartbeatMs: a socket that missed the last ping's pong is dead. */
  heartbeat(): void {
    if (!this.#alive) {
      this.ws.terminate();
      return;
    }
    this.#alive = false;
    this.ws.ping();
  }

  /** The socket closed, whoever closed it: 1000/1001 or `leave` give the seat up, anything else keeps it a while. */
  closed(code: number): void {
    clearTimeout(this.#joinTimer);
    const { room } = this;
    const guest = this.#guest;
    if (guest && room.waiting.get(guest.id) === guest) {
      room.waiting.delete(guest.id);
      room.notifyLobby();
    }
    const peer = this.#peer;
    if (!peer || room.peers.get(peer.id) !== peer || peer.conn !== this) return;
    if (this.#left || code === CLOSE.normal || code === CLOSE.goingAway) room.removePeer(peer, 'left');
    else room.detach(peer);
  }

  #error(code: ErrorCode, message: string, ref?: string): void {
    this.send(ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });
  }

  /** A refusal the person must see (wrong password, full…): said, then the socket closes. */
  #refuse(code: ErrorCode, message: string, closeCode: number): void {
    this.#error(code, message, 'join');
    this.close(closeCode, code);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.#alive = true;
    if (!this.#messages.take() || !this.#bytes.take(rawLength(data))) {
      this.#rateLimited();
      return;
    }
    if (isBinary) {
      this.close(CLOSE.unsupportedData, 'JSON text only');
      return;
    }
    const parsed = parseClientMessage(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    if (!parsed.ok) {
      this.#error(parsed.code, parsed.reason);
      this.#bad += 1;
      if (this.#bad >= BAD_MESSAGES_MAX) this.close(CLOSE.badMessage, 'too many bad messages');
      return;
    }
    this.#dispatch(parsed.message);
  }

  /** Tells a flooding client once a second, not once per dropped message. */
  #rateLimited(): void {
    const now = performance.now();
    if (now - this.#noticeAt < 1000) return;
    this.#noticeAt = now;
    this.#error('rate-limited', 'Too many messages: slow down.');
  }

  #dispatch(message: ClientMessage): void {
    if (message.type === 'join') {
      if (this.#peer || this.#guest || this.#joining) {
        this.#error('bad-message', 'Already joined.', 'join');
        return;
      }
      this.#joining = true;
      this.#join(message)
        .catch((err: unknown) => {
          // The one expected failure is a full password-hashing line (api/auth/password.ts): 503.
          this.ctx.deps.logger.warn({ err, room: this.room.name }, 'meet join failed');
          this.#refuse('rate-limited', 'The server is busy: try again in a moment.', CLOSE.rateLimited);
        })
        .finally(() => (this.#joining = false));
      return;
    }
    if (message.type === 'leave') {
      this.#left = true;
      // Not a seat this socket lost to a resume on another one: that one is still in the meeting.
      if (this.#peer?.conn === this) this.room.removePeer(this.#peer, 'left');
      this.close(CLOSE.normal, 'left');
      return;
    }
    const peer = this.#peer;
    // A peer removed, or resumed on another socket, no longer speaks through this one.
    if (!peer || peer.conn !== this || this.room.peers.get(peer.id) !== peer) {
      this.#error('not-joined', 'Join the meeting first.', message.type);
      return;
    }
    this.#command(peer, message);
  }

  #command(peer: Peer, message: Exclude<ClientMessage, { type: 'join' | 'leave' }>): void {
    const { room } = this;
    switch (message.type) {
      case 'signal': {
        const target = room.peers.get(message.to);
        if (!target || target === peer) {
          this.#error('unknown-peer', 'No such peer in this meeting.', 'signal');
          return;
        }
        // To a peer whose socket dropped, the signal is lost: it renegotiates (ICE restart) on resume.
        if (target.conn && !target.conn.relay({ type: 'signal', from: peer.id, data: message.data })) {
          this.#error('rate-limited', 'That peer is not keeping up: slow down.', 'signal');
        }
        return;
      }
      case 'chat': {
        if (!this.#chats.take()) {
          this.#error('rate-limited', 'Too many chat messages: slow down.', 'chat');
          return;
        }
        room.broadcast({ type: 'chat', ...room.addChat(peer, message.text) });
        return;
      }
      case 'state':
        peer.audio = message.audio;
        peer.video = message.video;
        peer.screen = message.screen;
        room.broadcast({ type: 'state', peer: peer.id, ...mediaOf(peer) }, peer);
        return;
    }
    if (!peer.host) {
      this.#error('not-host', 'Only a host can do this.', message.type);
      return;
    }
    if (message.type === 'lock') {
      room.locked = message.locked;
      room.broadcast({ type: 'locked', locked: message.locked, by: peer.id });
      return;
    }
    if (message.type === 'admit' || message.type === 'deny') {
      const guest = room.waiting.get(message.peer);
      if (!guest) {
        this.#error('unknown-peer', 'Nobody by that id is waiting.', message.type);
        return;
      }
      room.waiting.delete(guest.id);
      room.notifyLobby();
      guest.decide(message.type === 'admit');
      return;
    }
    const target = room.peers.get(message.peer);
    if (!target) {
      this.#error('unknown-peer', 'No such peer in this meeting.', message.type);
      return;
    }
    if (message.type === 'mute') {
      // The server cannot silence a mesh stream: the muted browser does, and everyone is told.
      target.audio = false;
      target.conn?.send({ type: 'muted', by: peer.id });
      room.broadcast({ type: 'state', peer: target.id, ...mediaOf(target) }, target);
      return;
    }
    target.conn?.send({ type: 'removed', by: peer.id });
    target.conn?.close(CLOSE.gone, 'removed by a host');
    room.removePeer(target, 'removed');
  }

  async #join(message: JoinMessage): Promise<void> {
    const { room } = this;
    if (this.#ended()) return;
    this.#turnUser = this.#memberId(message.token);
    if (message.resume) {
      const peer = room.takeBack(message.resume.peer, message.resume.secret, this);
      if (peer) {
        this.#seated(peer, message.resume.secret, true);
        return;
      }
      // An expired or unknown seat: join afresh, under the room's rules, with a new id.
    }
    const host = message.hostKey !== undefined && room.isHostKey(message.hostKey);
    if (!host) {
      if (room.membersOnly && this.#turnUser === null) {
        this.#refuse('members-only', 'This meeting is for signed-in members only.', CLOSE.forbidden);
        return;
      }
      if (room.hasPassword && !(await this.#passwordAccepted(message.password))) return;
      if (!this.#open() || this.#ended()) return;
      if (room.locked) {
        this.#refuse('locked', 'This meeting is locked.', CLOSE.forbidden);
        return;
      }
      // No point waiting at the lobby of a full meeting.
      if (room.lobby && !this.#full()) this.#wait(message.name);
      if (room.lobby) return;
    }
    this.#seat(message.name, host);
  }

  /** Whether the socket is still open (after an await). */
  #open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** A room that ended while this socket was connecting (or hashing a password) is refused as gone. */
  #ended(): boolean {
    if (this.room.ended) this.#refuse('unknown-room', 'There is no such meeting.', CLOSE.unknownRoom);
    return this.room.ended;
  }

  async #passwordAccepted(password: string | undefined): Promise<boolean> {
    const { wait, refund } = this.ctx.limiter.take('password', this.address, this.room.name);
    if (wait > 0) {
      this.#refuse('rate-limited', 'Too many wrong passwords: try again later.', CLOSE.rateLimited);
      return false;
    }
    if (password !== undefined && (await this.room.checkPassword(password))) {
      refund();
      return true;
    }
    if (this.#open()) {
      const text = password === undefined ? 'This meeting needs a password.' : 'Wrong password.';
      this.#refuse('wrong-password', text, CLOSE.wrongPassword);
    }
    return false;
  }

  /** The id of the `users` record a token authenticates, or null. */
  #memberId(token: string | undefined): string | null {
    if (!token) return null;
    const found = authenticateToken(this.ctx.deps, token.replace(/^Bearer\s+/i, ''));
    return found?.collection.id === USERS_COLLECTION_ID ? found.claims.id : null;
  }

  /** The lobby: the guest waits until a host admits or denies them (or leaves, or the room ends). */
  #wait(name: string): void {
    const { room } = this;
    if (room.waiting.size >= WAITING_MAX) {
      this.#refuse('room-full', 'Too many people are waiting to join this meeting.', CLOSE.roomFull);
      return;
    }
    clearTimeout(this.#joinTimer);
    this.settled();
    const guest: Guest = {
      id: newId(),
      name,
      conn: this,
      decide: (admitted) => {
        this.#guest = null;
        if (!this.#open()) return;
        if (admitted) {
          this.#seat(name, false);
        } else {
          this.send({ type: 'denied' });
          this.close(CLOSE.forbidden, 'denied');
        }
      },
    };
    this.#guest = guest;
    room.waiting.set(guest.id, guest);
    this.send({ type: 'waiting' });
    room.notifyLobby();
  }

  /**
   * Whether every seat is taken (seats kept for a resume included); if so, says so and closes. A
   * host has HOST_SEATS_EXTRA seats more, and gets a seat kept for a dropped peer if need be: anyone
   * with the link can fill a room, but not keep its hosts out.
   */
  #full(host = false): boolean {
    const maxPeers = this.ctx.deps.settings.get('meet.maxPeers');
    const { room } = this;
    if (room.peers.size < maxPeers) return false;
    if (host) {
      if (room.peers.size < maxPeers + HOST_SEATS_EXTRA) return false;
      while (room.peers.size >= maxPeers + HOST_SEATS_EXTRA && room.freeGhostSeat());
      if (room.peers.size < maxPeers + HOST_SEATS_EXTRA) return false;
    }
    this.#refuse('room-full', `This meeting is full: it holds ${maxPeers} people.`, CLOSE.roomFull);
    return true;
  }

  #seat(name: string, host: boolean): void {
    if (this.#full(host)) return;
    const { peer, secret } = this.room.addPeer(name, host, this);
    this.#seated(peer, secret, false);
  }

  #seated(peer: Peer, secret: string, resumed: boolean): void {
    clearTimeout(this.#joinTimer);
    this.settled();
    this.#peer = peer;
    const { room } = this;
    const { settings } = this.ctx.deps;
    this.send({
      type: 'welcome',
      id: peer.id,
      secret,
      host: peer.host,
      resumed,
      room: room.info(settings.get('meet.maxPeers')),
      peers: [...room.peers.values()].filter((p) => p !== peer).map((p) => room.peerInfo(p, peer.id)),
      chat: room.chat,
      // TURN only for the seated: its relays cost bandwidth, and the credential is in the TURN scheme.
      iceServers: turnServers(settings, this.#turnUser ?? `guest-${newId()}`),
    });
    if (peer.host && room.waiting.size > 0) room.notifyLobby(peer);
  }
}

/** A frame's size in bytes, whatever form ws handed it in. */
function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, chunk) => n + chunk.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function mediaOf(peer: Peer): { audio: boolean; video: boolean; screen: boolean } {
  return { audio: peer.audio, video: peer.video, screen: peer.screen };
}
