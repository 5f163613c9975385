import { hashPassword, verifyPassword } from '../auth/password';
import {
  CLOSE,
  isPolite,
  MAX_CHAT_HISTORY,
  MAX_CHAT_HISTORY_CHARS,
  RESUME_GRACE_SECONDS,
  type ChatEntry,
  type MediaState,
  type PeerInfo,
  type PeerLeftReason,
  type RoomInfo,
  type ServerMessage,
} from '../../web/lib/meet/protocol';
import { digest, matchesDigest, newId, newRoomName, newSecret } from './meet.ids';

/**
 * Meeting rooms, in memory. Hearth is one process, so a room and its sockets live in one place;
 * several instances behind a proxy (Scale-out in ARCHITECTURE.md) will need the rooms' membership
 * and the relayed messages on NATS, with the sticky part (a socket) staying where it connected.
 * A restart ends every meeting: browsers reconnect, hear `unknown-room` and say so.
 */

/**
 * How long things last. The server runs inside the SDK tests' process, so they shorten these to
 * see a seat expire or a room end without waiting half an hour.
 */
export const meetTimings = {
  /** A peer whose socket dropped keeps its seat this long for a `resume`. */
  graceMs: RESUME_GRACE_SECONDS * 1000,
  /** An empty room ends after this long. */
  emptyMs: 10 * 60_000,
  /** Any room ends after this long. */
  maxAgeMs: 24 * 3600_000,
  /** A socket that has not sent `join` by then is closed. */
  joinTimeoutMs: 10_000,
  /** Pings go out this often; a socket that missed the last pong is dropped. */
  heartbeatMs: 20_000,
};

/** One open socket, as rooms see it. */
export interface Connection {
  send(message: ServerMessage): void;
  /**
   * Sends a message another peer asked to relay (`signal`), unless this socket already has too
   * much unsent: then nothing is sent and false returned (the sender is told, not this reader dropped).
   */
  relay(message: ServerMessage): boolean;
  close(code: number, reason: string): void;
}

/** Someone in the room: with a socket, or without one for meetTimings.graceMs after it dropped. */
export interface Peer extends MediaState {
  readonly id: string;
  readonly name: string;
  readonly host: boolean;
  /** Digest of the resume secret handed out in `welcome`. */
  readonly secret: Buffer;
  conn: Connection | null;
  grace: NodeJS.Timeout | null;
}

/** Someone at the lobby, waiting for a host to admit them. */
export interface Guest {
  readonly id: string;
  readonly name: string;
  readonly conn: Connection;
  /** Called with the verdict: the session then joins or leaves. */
  readonly decide: (admitted: boolean) => void;
}

export interface RoomOptions {
  password?: string;
  lobby: boolean;
  membersOnly: boolean;
}

export class Room {
  readonly peers = new Map<string, Peer>();
  readonly waiting = new Map<string, Guest>();
  readonly chat: ChatEntry[] = [];
  locked = false;
  /** Sockets on this room's path that have not joined yet (a cap: see meet.upgrade.ts)… */
  pending = 0;
  /** …and of them, per client address (clientKey). */
  readonly pendingBy = new Map<string, number>();
  ended = false;
  /** Characters of `chat` as JSON (what `welcome` carries). */
  #chatChars = 0;
  #chatSeq = 0;
  #emptyTimer: NodeJS.Timeout | null = null;
  readonly #maxAgeTimer: NodeJS.Timeout;

  constructor(
    readonly name: string,
    readonly creatorId: string,
    readonly lobby: boolean,
    readonly membersOnly: boolean,
    private readonly hostKey: Buffer,
    private readonly passwordHash: string | null,
    private readonly onEnd: (room: Room) => void,
  ) {
    this.#maxAgeTimer = setTimeout(() => this.end(), meetTimings.maxAgeMs).unref();
    this.#startEmptyTimer(); // a room nobody joins ends like an emptied one
  }

  get hasPassword(): boolean {
    return this.passwordHash !== null;
  }

  info(maxPeers: number): RoomInfo {
    return {
      name: this.name,
      password: this.hasPassword,
      lobby: this.lobby,
      membersOnly: this.membersOnly,
      locked: this.locked,
      peers: this.peers.size,
      maxPeers,
    };
  }

  isHostKey(key: string): boolean {
    return matchesDigest(key, this.hostKey);
  }

  /** argon2id verify (constant time in the password); false when the room has none. */
  async checkPassword(password: string): Promise<boolean> {
    return this.passwordHash !== null && (await verifyPassword(this.passwordHash, password));
  }

  /** Seats a newcomer and tells the others; returns the peer and its resume secret. */
  addPeer(name: string, host: boolean, conn: Connection): { peer: Peer; secret: string } {
    const secret = newSecret();
    const peer: Peer = {
      id: newId(),
      name,
      host,
      secret: digest(secret),
      conn,
      grace: null,
      audio: false,
      video: false,
      screen: false,
    };
    this.peers.set(peer.id, peer);
    this.#stopEmptyTimer();
    for (const other of this.peers.values()) {
      if (other !== peer) other.conn?.send({ type: 'peer-joined', peer: this.peerInfo(peer, other.id) });
    }
    return { peer, secret };
  }

  /**
   * A `resume`: the seat of `peerId` if the secret is its own, moved to `conn`. A socket the peer
   * still had (the server may not have noticed the drop yet) is closed as replaced. Null otherwise.
   */
  takeBack(peerId: string, secret: string, conn: Connection): Peer | null {
    const peer = this.peers.get(peerId);
    if (!peer || !matchesDigest(secret, peer.secret)) return null;
    if (peer.grace) clearTimeout(peer.grace);
    peer.grace = null;
    const old = peer.conn;
    peer.conn = conn;
    old?.close(CLOSE.replaced, 'resumed on another connection');
    return peer;
  }

  /** The peer's socket is gone but it may come back: its seat stays for meetTimings.graceMs. */
  detach(peer: Peer): void {
    peer.conn = null;
    peer.grace = setTimeout(() => this.removePeer(peer, 'dropped'), meetTimings.graceMs).unref();
  }

  removePeer(peer: Peer, reason: PeerLeftReason): void {
    if (this.peers.get(peer.id) !== peer) return;
    if (peer.grace) clearTimeout(peer.grace);
    peer.grace = null;
    this.peers.delete(peer.id);
    this.broadcast({ type: 'peer-left', peer: peer.id, reason });
    if (this.peers.size === 0) this.#startEmptyTimer();
  }

  /** To every connected peer (not lobby guests), but `except`. */
  broadcast(message: ServerMessage, except?: Peer): void {
    for (const peer of this.peers.values()) if (peer !== except) peer.conn?.send(message);
  }

  /** A peer as `recipientId` sees it (`polite` is relative to the recipient). */
  peerInfo(peer: Peer, recipientId: string): PeerInfo {
    return {
      id: peer.id,
      name: peer.name,
      host: peer.host,
      polite: isPolite(recipientId, peer.id),
      audio: peer.audio,
      video: peer.video,
      screen: peer.screen,
    };
  }

  /**
   * Keeps a chat message for late joiners and returns it: the newest MAX_CHAT_HISTORY messages, and
   * no more than MAX_CHAT_HISTORY_CHARS of them as JSON (so `welcome` stays well within
   * MAX_SERVER_MESSAGE_LENGTH, and a room's chat within ~48 K characters of memory).
   */
  addChat(peer: Peer, text: string): ChatEntry {
    this.#chatSeq += 1;
    const entry: ChatEntry = {
      id: String(this.#chatSeq),
      from: peer.id,
      name: peer.name,
      text,
      at: Date.now(),
    };
    this.chat.push(entry);
    this.#chatChars += chatSize(entry);
    while (this.chat.length > MAX_CHAT_HISTORY || this.#chatChars > MAX_CHAT_HISTORY_CHARS) {
      this.#chatChars -= chatSize(this.chat.shift()!);
    }
    return entry;
  }

  /**
   * Gives up the seat of a peer whose socket dropped (kept for a resume), the earliest joined,
   * telling the others `peer-left` `dropped`; false when every seat has a socket. A host that
   * finds no seat uses it, so that dropped peers cannot keep hosts out.
   */
  freeGhostSeat(): boolean {
    for (const peer of this.peers.values()) {
      if (peer.conn === null) {
        this.removePeer(peer, 'dropped');
        return true;
      }
    }
    return false;
  }

  /** Tells the connected hosts who waits at the lobby (also when the list became empty). */
  notifyLobby(only?: Peer): void {
    const waiting = [...this.waiting.values()].map((g) => ({ id: g.id, name: g.name }));
    for (const peer of only ? [only] : this.peers.values()) {
      if (peer.host) peer.conn?.send({ type: 'lobby', waiting });
    }
  }

  /** Ends the meeting: everyone (lobby too) hears `ended` and is closed with 4410. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.#maxAgeTimer);
    this.#stopEmptyTimer();
    const conns = [...this.peers.values()].map((p) => p.conn);
    for (const peer of this.peers.values()) if (peer.grace) clearTimeout(peer.grace);
    for (const conn of [...conns, ...[...this.waiting.values()].map((g) => g.conn)]) {
      conn?.send({ type: 'ended' });
      conn?.close(CLOSE.gone, 'the meeting has ended');
    }
    this.peers.clear();
    this.waiting.clear();
    this.chat.length = 0;
    this.onEnd(this);
  }

  #startEmptyTimer(): void {
    this.#stopEmptyTimer();
    this.#emptyTimer = setTimeout(() => this.end(), meetTimings.emptyMs).unref();
  }

  #stopEmptyTimer(): void {
    if (this.#emptyTimer) clearTimeout(this.#emptyTimer);
    this.#emptyTimer = null;
  }
}

/** The live rooms of this process. */
export class Rooms {
  readonly #rooms = new Map<string, Room>();
  /** Rooms being made (their password hashing), per creator: they count against the caps already. */
  readonly #making = new Map<string, number>();
  #makingTotal = 0;

  /** Running rooms, and those being made. */
  get size(): number {
    return this.#rooms.size + this.#makingTotal;
  }

  get(name: string): Room | undefined {
    return this.#rooms.get(name);
  }

  /** Rooms made by one user that are still running (a cap per user). */
  countBy(creatorId: string): number {
    let n = 0;
    for (const room of this.#rooms.values()) if (room.creatorId === creatorId) n++;
    return n + (this.#making.get(creatorId) ?? 0);
  }

  /**
   * Makes a room with an unguessable name; the host key is returned once and only its digest kept.
   * The room counts in `size` and `countBy` from the call on (before the password is hashed), so
   * a caller that checks them and calls this without awaiting in between cannot be raced.
   */
  async create(creatorId: string, options: RoomOptions): Promise<{ room: Room; hostKey: string }> {
    this.#making.set(creatorId, (this.#making.get(creatorId) ?? 0) + 1);
    this.#makingTotal += 1;
    let passwordHash: string | null;
    try {
      passwordHash = options.password === undefined ? null : await hashPassword(options.password);
    } finally {
      const left = (this.#making.get(creatorId) ?? 1) - 1;
      if (left > 0) this.#making.set(creatorId, left);
      else this.#making.delete(creatorId);
      this.#makingTotal -= 1;
    }
    let name = newRoomName();
    while (this.#rooms.has(name)) name = newRoomName(); // 62 bits: practically never
    const hostKey = newSecret();
    const room = new Room(
      name,
      creatorId,
      options.lobby,
      options.membersOnly,
      digest(hostKey),
      passwordHash,
      (ended) => this.#rooms.delete(ended.name),
    );
    this.#rooms.set(name, room);
    return { room, hostKey };
  }

  /** Ends every room (the server is stopping). */
  endAll(): void {
    for (const room of [...this.#rooms.values()]) room.end();
  }
}

/** A chat entry's size as `welcome` carries it (JSON escapes included, the comma too). */
function chatSize(entry: ChatEntry): number {
  return JSON.stringify(entry).length + 1;
}
