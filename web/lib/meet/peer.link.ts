import type { IceCandidate, SignalData } from './protocol';

/**
 * One side of a mesh call's connection to one other person: an RTCPeerConnection negotiated with
 * _perfect negotiation_ (W3C WebRTC §10.7), so either side may renegotiate at any time and offers
 * that cross are settled without talking — the polite side rolls its own back, the impolite side
 * ignores the other's. Signals travel through Hearth (`send`, `receive`), in order.
 *
 * Media: one audio and one video transceiver. The side that joined later (the `initiator`) makes
 * them and the first offer; the other side answers and puts its own tracks on the transceivers the
 * offer made. Turning the camera off, switching devices and sharing the screen only replace the
 * sending track (`replaceTrack`): no renegotiation, nothing for the other side to do.
 *
 * ICE: a connection that fails restarts ICE at once; one that stays `disconnected` (a network
 * change, a laptop lid) for DISCONNECTED_GRACE_MS restarts it too. `restartIce()` is there for the
 * call to use after the signaling socket was resumed or the browser came back online.
 *
 * Lost offers: the server drops signals to a peer whose socket is away (docs/meet.md, resume), and
 * an impolite side ignores an offer that crosses its own. So an offer left unanswered for
 * OFFER_RESEND_MS is sent again (with a growing delay): the other side either answers it, or — being
 * polite with an offer of its own out — rolls its own back for it.
 */

export type Kind = 'audio' | 'video';

export interface LinkOptions {
  /** The other peer's id (for the caller's bookkeeping). */
  peer: string;
  polite: boolean;
  initiator: boolean;
  iceServers: RTCIceServer[];
  /** The tracks to send now (null: that kind is off). */
  tracks: Record<Kind, MediaStreamTrack | null>;
  send: (data: SignalData) => void;
  /** The connection's state changed (`connectionState`). */
  onState?: (state: RTCPeerConnectionState) => void;
  /** A remote track arrived: `stream` now holds it. */
  onTrack?: (stream: MediaStream) => void;
  /** Something went wrong that the person may need to know about (logged by the caller). */
  onError?: (err: unknown) => void;
  PeerConnection?: typeof RTCPeerConnection;
}

/** How long `disconnected` may last before ICE is restarted (it often heals by itself within seconds). */
export const DISCONNECTED_GRACE_MS = 3000;
/** How long an offer may go unanswered before it is sent again (doubling up to OFFER_RESEND_MAX_MS). */
export const OFFER_RESEND_MS = 4000;
const OFFER_RESEND_MAX_MS = 30_000;

export class PeerLink {
  readonly peer: string;
  /** The other side's audio and video, one stream for the tile. */
  readonly stream: MediaStream;
  readonly #pc: RTCPeerConnection;
  readonly #options: LinkOptions;
  readonly #polite: boolean;
  #tracks: Record<Kind, MediaStreamTrack | null>;
  #makingOffer = false;
  #ignoreOffer = false;
  #settingRemoteAnswer = false;
  /** Incoming signals, applied one at a time in arrival order. */
  #inbox: Promise<void> = Promise.resolve();
  #disconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #offerTimer: ReturnType<typeof setTimeout> | null = null;
  /** Counts this side's offers: the resend timer knows whether its offer is still the one out. */
  #offers = 0;
  /** The received audio's energy and duration at the last `audioLevel()` (inbound-rtp statistics). */
  #heard: { energy: number; duration: number } | null = null;
  #closed = false;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.peer = options.peer;
    this.#polite = options.polite;
    this.#tracks = { ...options.tracks };
    const PeerConnection = options.PeerConnection ?? RTCPeerConnection;
    this.#pc = new PeerConnection({ iceServers: options.iceServers, bundlePolicy: 'max-bundle' });
    this.stream = new MediaStream();
    this.#wire();
    if (options.initiator) {
      // Adding the transceivers fires negotiationneeded: the first offer.
      for (const kind of ['audio', 'video'] as const) {
        this.#pc.addTransceiver(this.#tracks[kind] ?? kind, { direction: 'sendrecv' });
      }
    }
  }

  get connection(): RTCPeerConnection {
    return this.#pc;
  }

  get state(): RTCPeerConnectionState {
    return this.#pc.connectionState;
  }

  /** Sends `track` (or nothing) for `kind` from now on. */
  async setTrack(kind: Kind, track: MediaStreamTrack | null): Promise<void> {
    this.#tracks[kind] = track;
    const transceiver = this.#transceiver(kind);
    if (transceiver && transceiver.sender.track !== track) await transceiver.sender.replaceTrack(track);
  }

  /**
   * How loud the other side has been since the last call (0–1, the RMS of the audio received in
   * between, from inbound-rtp `totalAudioEnergy` over `totalSamplesDuration` as the statistics
   * spec suggests), 0 when unknown. An average over the interval, not one packet's level: a word
   * between two polls still counts.
   */
  async audioLevel(): Promise<number> {
    const receiver = this.#transceiver('audio')?.receiver;
    if (!receiver || this.#closed) return 0;
    let energy: number | undefined;
    let duration: number | undefined;
    (await receiver.getStats()).forEach(
      (report: { type?: string; totalAudioEnergy?: number; totalSamplesDuration?: number }) => {
        if (report.type !== 'inbound-rtp') return;
        energy = report.totalAudioEnergy;
        duration = report.totalSamplesDuration;
      },
    );
    if (energy === undefined || duration === undefined) return 0;
    const last = this.#heard;
    this.#heard = { energy, duration };
    if (!last || duration <= last.duration) return 0;
    return Math.min(1, Math.sqrt(Math.max(0, energy - last.energy) / (duration - last.duration)));
  }

  /** Applies a description or candidate from the other side (in the order they arrive). */
  receive(data: SignalData): void {
    this.#inbox = this.#inbox
      .then(() => this.#apply(data))
      .catch((err: unknown) => this.#options.onError?.(err));
  }

  restartIce(): void {
    if (this.#closed) return;
    // Fires negotiationneeded: an offer with new ICE credentials (perfect negotiation carries it).
    this.#pc.restartIce();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearDisconnectTimer();
    this.#clearOfferTimer();
    for (const track of this.stream.getTracks()) this.stream.removeTrack(track);
    this.#pc.close();
  }

  /**
   * The transceiver that carries `kind`: the negotiated one (with a mid) when there is one — after
   * a rolled-back offer of its own, the polite side keeps transceivers that belong to no m-line.
   */
  #transceiver(kind: Kind): RTCRtpTransceiver | undefined {
    const live = this.#pc
      .getTransceivers()
      .filter(
        (t) =>
          t.receiver.track.kind === kind && t.currentDirection !== 'stopped' && t.direction !== 'stopped',
      );
    return live.find((t) => t.mid !== null) ?? live[0];
  }

  #wire(): void {
    const pc = this.#pc;
    pc.onnegotiationneeded = async () => {
      try {
        this.#makingOffer = true;
        await pc.setLocalDescription();
        if (pc.localDescription) this.#sendDescription(pc.localDescription);
        this.#offers += 1;
        this.#watchOffer(OFFER_RESEND_MS);
      } catch (err) {
        this.#options.onError?.(err);
      } finally {
        this.#makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      // null (or an empty candidate): this side has gathered all it will, which lets the other end
      // stop waiting for more (Firefox otherwise waits out a grace period before failing).
      this.#options.send({
        candidate: candidate && candidate.candidate !== '' ? toCandidate(candidate) : null,
      });
    };
    pc.ontrack = ({ track }) => {
      for (const old of this.stream.getTracks())
        if (old.kind === track.kind && old !== track) this.stream.removeTrack(old);
      if (!this.stream.getTracks().includes(track)) this.stream.addTrack(track);
      this.#options.onTrack?.(this.stream);
    };
    pc.onconnectionstatechange = () => this.#options.onState?.(pc.connectionState);
    pc.oniceconnectionstatechange = () => {
      if (this.#closed) return;
      const state = pc.iceConnectionState;
      if (state === 'failed') {
        this.#clearDisconnectTimer();
        pc.restartIce();
      } else if (state === 'disconnected') {
        this.#disconnectTimer ??= setTimeout(() => {
          this.#disconnectTimer = null;
          if (!this.#closed && pc.iceConnectionState === 'disconnected') pc.restartIce();
        }, DISCONNECTED_GRACE_MS);
      } else {
        this.#clearDisconnectTimer();
      }
    };
  }

  async #apply(data: SignalData): Promise<void> {
    if (this.#closed) return;
    const pc = this.#pc;
    if ('description' in data) {
      const description = data.description;
      const readyForOffer =
        !this.#makingOffer && (pc.signalingState === 'stable' || this.#settingRemoteAnswer);
      const collision = description.type === 'offer' && !readyForOffer;
      this.#ignoreOffer = !this.#polite && collision;
      if (this.#ignoreOffer) return;
      this.#settingRemoteAnswer = description.type === 'answer';
      try {
        // A polite side with an offer of its own out rolls it back implicitly here.
        await pc.setRemoteDescription(description);
      } finally {
        this.#settingRemoteAnswer = false;
      }
      if (description.type === 'offer') {
        this.#attachTracks();
        await pc.setLocalDescription();
        if (pc.localDescription) this.#sendDescription(pc.localDescription);
      }
      return;
    }
    try {
      // No argument: the end of the other side's candidates.
      await (data.candidate === null ? pc.addIceCandidate() : pc.addIceCandidate(data.candidate));
    } catch (err) {
      // Candidates of an offer this side ignored fail to apply; that is expected.
      if (!this.#ignoreOffer) throw err;
    }
  }

  /**
   * The answering side sends on the transceivers the offer made: its tracks go on them and their
   * direction becomes sendrecv before the answer is made, so the answer carries both directions.
   */
  #attachTracks(): void {
    // Transceivers this side added for an offer it rolled back belong to no m-line: without them
    // going, the next negotiation would add a second audio and video for nothing.
    for (const t of this.#pc.getTransceivers()) if (t.mid === null && t.direction !== 'stopped') t.stop();
    for (const kind of ['audio', 'video'] as const) {
      const transceiver = this.#transceiver(kind);
      if (!transceiver) continue;
      if (transceiver.direction === 'recvonly' || transceiver.direction === 'inactive') {
        transceiver.direction = 'sendrecv';
      }
      if (transceiver.sender.track !== this.#tracks[kind]) {
        transceiver.sender
          .replaceTrack(this.#tracks[kind])
          .catch((err: unknown) => this.#options.onError?.(err));
      }
    }
  }

  #sendDescription(description: RTCSessionDescription): void {
    this.#options.send({ description: { type: description.type, sdp: description.sdp } });
  }

  /**
   * Sends the current offer again if it is still unanswered after `delay`, then waits twice as long.
   * (The description sent again carries the candidates gathered since: those sent on their own
   * before it may have been lost with it.)
   */
  #watchOffer(delay: number): void {
    this.#clearOfferTimer();
    const offer = this.#offers;
    this.#offerTimer = setTimeout(() => {
      this.#offerTimer = null;
      const pc = this.#pc;
      const current = pc.localDescription;
      if (this.#closed || !current || pc.signalingState !== 'have-local-offer' || this.#offers !== offer)
        return;
      this.#sendDescription(current);
      this.#watchOffer(Math.min(delay * 2, OFFER_RESEND_MAX_MS));
    }, delay);
  }

  #clearOfferTimer(): void {
    if (this.#offerTimer !== null) clearTimeout(this.#offerTimer);
    this.#offerTimer = null;
  }

  #clearDisconnectTimer(): void {
    if (this.#disconnectTimer !== null) clearTimeout(this.#disconnectTimer);
    this.#disconnectTimer = null;
  }
}

function toCandidate(candidate: RTCIceCandidate): IceCandidate {
  return {
    candidate: candidate.candidate,
    sdpMid: candidate.sdpMid,
    sdpMLineIndex: candidate.sdpMLineIndex,
    usernameFragment: candidate.usernameFragment,
  };
}
