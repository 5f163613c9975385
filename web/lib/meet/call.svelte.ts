import { LocalMedia } from './local-media.svelte';
import { PeerLink } from './peer.link';
import type {
  ChatEntry,
  ErrorCode,
  IceServer,
  PeerInfo,
  RoomInfo,
  ServerMessage,
  WaitingGuest,
} from './protocol';
import { roomInfo, signalingUrl, stunServers } from './rooms';
import { SignalingClient, type SignalingStatus, type StatusDetail } from './signaling.client';
import { SpeakingDetector } from './speaking';

/**
 * A meeting as Svelte state (issue 8; docs/meet.md): the signaling client, one PeerLink per other
 * person (a mesh), the people with their media state, the chat, the lobby and the host's powers. The
 * page renders it; everything a person can do in a call is a method here.
 */

export type Phase = 'setup' | 'connecting' | 'waiting' | 'joined' | 'reconnecting' | 'left';

/** Why the call is not (or no longer) going: a refusal from the server, or the end of it. */
export type Failure = ErrorCode | 'removed' | 'denied' | 'ended' | 'network' | 'closed';

export interface Participant {
  id: string;
  name: string;
  host: boolean;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** Their audio and video (the same object for the life of the connection). */
  stream: MediaStream | null;
  connection: RTCPeerConnectionState;
  speaking: boolean;
}

/** Something to say to screen-reader users and in a toast: an i18n key under `meet:events`. */
export interface Announcement {
  key:
    | 'joined'
    | 'left'
    | 'mutedYou'
    | 'locked'
    | 'unlocked'
    | 'waiting'
    | 'reconnecting'
    | 'rejoined'
    | 'message';
  name?: string;
  /** `message`: the chat text. */
  text?: string;
  seq: number;
}

export interface JoinDetails {
  name: string;
  password?: string;
  hostKey?: string;
  token?: string;
}

const SPEAKING_POLL_MS = 250;
/** Refusals at the door: the reason when the socket closes next. Mistakes during a call are not. */
const REFUSALS: readonly Failure[] = [
  'unknown-room',
  'wrong-password',
  'room-full',
  'members-only',
  'locked',
];
/** Attempts to open the signaling socket before a first join gives up: the server is unreachable. */
const JOIN_ATTEMPTS = 3;
/** Failures after which the person may simply try again from the setup screen. */
const RETRYABLE: readonly Failure[] = [
  'wrong-password',
  'rate-limited',
  'room-full',
  'locked',
  'network',
  'closed',
  'members-only',
];

export class Call {
  readonly room: string;
  readonly media: LocalMedia;
  phase = $state<Phase>('setup');
  failure = $state<Failure | null>(null);
  selfId = $state<string | null>(null);
  selfName = $state('');
  host = $state(false);
  info = $state<RoomInfo | null>(null);
  participants = $state<Participant[]>([]);
  chat = $state<ChatEntry[]>([]);
  lobby = $state<WaitingGuest[]>([]);
  locked = $state(false);
  selfSpeaking = $state(false);
  announcement = $state<Announcement | null>(null);

  #signaling: SignalingClient | null = null;
  // Bookkeeping, not state: the UI reads `participants`, never these.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #links = new Map<string, PeerLink>();
  #iceServers: RTCIceServer[] = [];
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #speakers = new Map<string, SpeakingDetector>();
  #poll: ReturnType<typeof setInterval> | null = null;
  #seq = 0;
  #stun: Promise<RTCIceServer[]> | null = null;
  /** The last refusal or end the server announced: the reason when the socket closes next. */
  #refusal: Failure | null = null;
  #onOnline = () => this.#restartIce();

  constructor(room: string, label: (kind: 'audio' | 'video', n: number) => string) {
    this.room = room;
    this.media = new LocalMedia(label);
    this.media.onOutgoing = (kind, track) => {
      for (const link of this.#links.values()) void link.setTrack(kind, track).catch(() => {});
      this.#sendState();
    };
  }

  /** Connects and joins with the chosen name (and password, host key, account token). */
  async join(details: JoinDetails): Promise<void> {
    if (this.phase !== 'setup') return;
    this.failure = null;
    this.phase = 'connecting';
    this.selfName = details.name;
    this.#iceServers = await this.prepareIce();
    if (this.phase !== 'connecting') return; // left while waiting
    this.#refusal = null;
    // Callbacks from a client this call has let go of (after leaving) are ignored.
    const client: SignalingClient = new SignalingClient({
      url: signalingUrl(location, this.room),
      join: details,
      onMessage: (message) => {
        if (this.#signaling === client) this.#receive(message);
      },
      onStatus: (status, detail) => {
        if (this.#signaling === client) this.#status(status, detail);
      },
    });
    this.#signaling = client;
    client.connect();
    window.addEventListener('online', this.#onOnline);
  }

  /**
   * Asks for the STUN servers (once): the page calls it while the person is at the setup screen, so
   * pressing Join opens the signaling socket without a round trip first.
   */
  prepareIce(): Promise<RTCIceServer[]> {
    this.#stun ??= stunServers(this.room).then(
      (servers) => servers.map(toRtc),
      // Without the server's STUN the call still works between peers that see each other directly.
      () => {
        this.#stun = null; // try again at the next join
        return [];
      },
    );
    return this.#stun;
  }

  /** Stops a join still connecting or waiting at the lobby: back to the setup screen, media on. */
  cancel(): void {
    const client = this.#signaling;
    this.#end(null, 'setup');
    client?.close();
  }

  /** Hangs up: the others see this person leave at once, and the camera and microphone stop. */
  leave(): void {
    const client = this.#signaling;
    this.#end(null);
    client?.close();
  }

  /** Leaves, keeping nothing: for when the page goes away. */
  destroy(): void {
    this.leave();
    this.media.stop();
  }

  /** Back to the setup screen after a refusal (a wrong password, a full room) or after leaving. */
  retry(): void {
    if (this.phase !== 'left' && this.phase !== 'setup') return;
    this.phase = 'setup';
  }

  async toggleMic(): Promise<void> {
    await this.media.setMic(!this.media.micOn);
    this.#sendState();
  }

  async toggleCamera(): Promise<void> {
    await this.media.setCamera(!this.media.cameraOn);
    this.#sendState();
  }

  async toggleScreen(): Promise<void> {
    if (this.media.screen) this.media.stopScreen();
    else await this.media.startScreen();
    this.#sendState();
  }

  sendChat(text: string): boolean {
    return this.#signaling?.send({ type: 'chat', text }) ?? false;
  }

  mute(peer: string): void {
    this.#signaling?.send({ type: 'mute', peer });
  }

  remove(peer: string): void {
    this.#signaling?.send({ type: 'remove', peer });
  }

  setLocked(locked: boolean): void {
    this.#signaling?.send({ type: 'lock', locked });
  }

  admit(peer: string): void {
    this.#signaling?.send({ type: 'admit', peer });
  }

  deny(peer: string): void {
    this.#signaling?.send({ type: 'deny', peer });
  }

  /** The peer connection to someone, for diagnostics (connection state, statistics). */
  link(peer: string): PeerLink | undefined {
    return this.#links.get(peer);
  }

  #receive(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.#welcome(message);
        return;
      case 'peer-joined':
        this.#addParticipant(message.peer, false);
        this.#announce('joined', message.peer.name);
        return;
      case 'peer-left': {
        const gone = this.participants.find((p) => p.id === message.peer);
        this.#dropParticipant(message.peer);
        if (gone) this.#announce('left', gone.name);
        return;
      }
      case 'signal':
        this.#linkFor(message.from)?.receive(message.data);
        return;
      case 'chat':
        this.chat.push({
          id: message.id,
          from: message.from,
          name: message.name,
          text: message.text,
          at: message.at,
        });
        if (message.from !== this.selfId) this.#announce('message', message.name, message.text);
        return;
      case 'state': {
        const p = this.participants.find((x) => x.id === message.peer);
        if (p) Object.assign(p, { audio: message.audio, video: message.video, screen: message.screen });
        return;
      }
      case 'muted':
        void this.media.setMic(false).then(() => this.#sendState());
        this.#announce('mutedYou');
        return;
      case 'locked':
        this.locked = message.locked;
        if (this.info) this.info.locked = message.locked;
        this.#announce(message.locked ? 'locked' : 'unlocked');
        return;
      case 'lobby':
        this.lobby = message.waiting;
        return;
      case 'waiting':
        this.#announce('waiting');
        return;
      case 'removed':
      case 'denied':
      case 'ended':
        this.#refusal = message.type;
        return;
      case 'error':
        // A refusal at the door is followed by the socket closing, which ends the call with it;
        // mistakes during the call (a refused chat line) leave the socket open and change nothing.
        if (REFUSALS.includes(message.code) || (message.code === 'rate-limited' && this.selfId === null)) {
          this.#refusal = message.code;
        }
        return;
    }
  }

  #welcome(message: Extract<ServerMessage, { type: 'welcome' }>): void {
    const sameSeat = message.resumed && message.id === this.selfId;
    if (!sameSeat) {
      // A fresh seat: every connection made under the old id is void for the others.
      for (const id of [...this.#links.keys()]) this.#dropParticipant(id);
    }
    this.selfId = message.id;
    this.host = message.host;
    this.info = message.room;
    this.locked = message.room.locked;
    this.chat = message.chat;
    this.failure = null;
    this.#refusal = null;
    this.#iceServers = [...this.#iceServers.filter((s) => !isTurn(s)), ...message.iceServers.map(toRtc)];
    const present = message.peers.map((p) => p.id);
    for (const p of [...this.participants]) if (!present.includes(p.id)) this.#dropParticipant(p.id);
    for (const peer of message.peers) {
      const known = this.participants.find((p) => p.id === peer.id);
      if (known)
        Object.assign(known, {
          name: peer.name,
          host: peer.host,
          audio: peer.audio,
          video: peer.video,
          screen: peer.screen,
        });
      // Someone who came while this seat's socket was away has sent it an offer that was lost: it
      // is offered again (PeerLink resends unanswered offers), so this side answers, not offers.
      else this.#addParticipant(peer, !sameSeat);
    }
    // Signals sent to this seat while its socket was away are lost: renegotiate what was kept.
    if (sameSeat) this.#restartIce();
    this.#sendState();
    this.#startPolling();
  }

  #status(status: SignalingStatus, detail?: StatusDetail): void {
    switch (status) {
      case 'waiting':
        // Back at the lobby after a drop too long to resume: nobody is connected to this seat now.
        for (const id of [...this.#links.keys()]) this.#dropParticipant(id);
        this.#stopPolling();
        this.phase = 'waiting';
        return;
      case 'joined':
        if (this.phase === 'reconnecting' && detail?.rejoined) this.#announce('rejoined');
        this.phase = 'joined';
        return;
      case 'reconnecting':
        if (this.phase === 'joined') {
          this.phase = 'reconnecting';
          this.#announce('reconnecting');
        } else if (this.phase === 'connecting' && (detail?.attempt ?? 0) >= JOIN_ATTEMPTS) {
          // Never got in: the server (or a proxy without WebSockets) is not answering.
          const client = this.#signaling;
          this.#end('network');
          client?.close();
        }
        return;
      case 'closed':
        if (this.phase === 'left' || this.phase === 'setup') return;
        this.#end(this.#refusal ?? (detail?.code === 1000 ? null : 'closed'));
        return;
      case 'connecting':
        return;
    }
  }

  /** Ends the session; `phase` overrides where the person lands (the setup screen, or `left`). */
  #end(failure: Failure | null, phase?: Phase): void {
    window.removeEventListener('online', this.#onOnline);
    this.#signaling = null;
    this.#stopPolling();
    for (const id of [...this.#links.keys()]) this.#dropParticipant(id);
    this.participants = [];
    this.lobby = [];
    this.selfId = null;
    this.failure = failure;
    // The size the server refused at may have changed since the page asked: say the current one.
    if (failure === 'room-full') {
      void roomInfo(this.room)
        .then((info) => (this.info = info))
        .catch(() => {});
    }
    // A refusal at the door leaves the person at the setup screen, media on, to try again.
    if (phase === 'setup') {
      this.phase = 'setup';
      return;
    }
    if (
      failure !== null &&
      RETRYABLE.includes(failure) &&
      this.phase !== 'joined' &&
      this.phase !== 'reconnecting'
    ) {
      this.phase = 'setup';
      return;
    }
    this.phase = 'left';
    this.media.stop();
  }

  #addParticipant(peer: PeerInfo, initiator: boolean): void {
    if (this.participants.some((p) => p.id === peer.id)) return;
    // A signal may have come before `peer-joined` and made the link already (#linkFor).
    const linked = this.#links.get(peer.id);
    const tracks = linked?.stream.getTracks() ?? [];
    this.participants.push({
      id: peer.id,
      name: peer.name,
      host: peer.host,
      audio: peer.audio,
      video: peer.video,
      screen: peer.screen,
      stream: tracks.length > 0 ? new MediaStream(tracks) : null,
      connection: linked?.state ?? 'new',
      speaking: false,
    });
    if (!linked) this.#connect(peer.id, peer.polite, initiator);
  }

  #connect(peer: string, polite: boolean, initiator: boolean): PeerLink {
    const link = new PeerLink({
      peer,
      polite,
      initiator,
      iceServers: this.#iceServers,
      tracks: { audio: this.media.outgoingAudio, video: this.media.outgoingVideo },
      send: (data) => this.#signaling?.send({ type: 'signal', to: peer, data }),
      onState: (state) => {
        const p = this.participants.find((x) => x.id === peer);
        if (p) p.connection = state;
      },
      onTrack: (stream) => {
        const p = this.participants.find((x) => x.id === peer);
        // A fresh reference each time, so the tile's video element picks up a newly added track.
        if (p) p.stream = new MediaStream(stream.getTracks());
      },
      onError: (err) => console.warn('meet: peer connection', peer, err),
    });
    this.#links.set(peer, link);
    return link;
  }

  /** The link a signal is for; one from someone not yet announced gets one (peer-joined follows). */
  #linkFor(peer: string): PeerLink | undefined {
    const link = this.#links.get(peer);
    if (link || this.selfId === null) return link;
    return this.#connect(peer, this.selfId < peer, false);
  }

  #dropParticipant(id: string): void {
    this.#links.get(id)?.close();
    this.#links.delete(id);
    this.#speakers.delete(id);
    const index = this.participants.findIndex((p) => p.id === id);
    if (index >= 0) this.participants.splice(index, 1);
  }

  #restartIce(): void {
    for (const link of this.#links.values()) link.restartIce();
  }

  #sendState(): void {
    if (this.phase === 'setup' || this.phase === 'left') return;
    this.#signaling?.send({
      type: 'state',
      audio: this.media.micOn && this.media.microphone !== null,
      video: this.media.cameraOn && this.media.camera !== null,
      screen: this.media.screen !== null,
    });
  }

  #announce(key: Announcement['key'], name?: string, text?: string): void {
    this.announcement = {
      key,
      seq: ++this.#seq,
      ...(name === undefined ? {} : { name }),
      ...(text === undefined ? {} : { text }),
    };
  }

  #startPolling(): void {
    if (this.#poll !== null) return;
    const self = new SpeakingDetector();
    let busy = false;
    this.#poll = setInterval(() => {
      const now = performance.now();
      this.selfSpeaking = self.sample(this.media.level(), now);
      if (busy) return; // statistics slower than the poll: skip a round rather than pile up
      busy = true;
      void Promise.all(
        this.participants.map(async (p) => {
          const link = this.#links.get(p.id);
          const level = p.audio && link ? await link.audioLevel().catch(() => 0) : 0;
          let detector = this.#speakers.get(p.id);
          if (!detector) this.#speakers.set(p.id, (detector = new SpeakingDetector()));
          const speaking = detector.sample(level, now);
          if (p.speaking !== speaking) p.speaking = speaking;
        }),
      ).finally(() => (busy = false));
    }, SPEAKING_POLL_MS);
  }

  #stopPolling(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
    this.selfSpeaking = false;
  }
}

function isTurn(server: RTCIceServer): boolean {
  const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
  return urls.some((u) => u.startsWith('turn'));
}

function toRtc(server: IceServer): RTCIceServer {
  return { ...server };
}
