import {
  LevelMeter,
  listDevices,
  MediaError,
  openScreen,
  openTrack,
  type DeviceChoice,
  type MediaFailure,
} from './media';

export type Source = 'audio' | 'video' | 'screen';

/**
 * This browser's side of a call as Svelte state: the microphone, the camera and a shared screen,
 * the chosen devices, and the microphone's level. The call listens through `onOutgoing` for the track
 * each peer connection should send (the screen takes the camera's place while shared).
 *
 * The microphone is muted by disabling its track (it keeps sending silence, and unmuting needs no
 * new permission); the camera is turned off by stopping its track, so the camera's light goes off.
 */
export class LocalMedia {
  microphone = $state.raw<MediaStreamTrack | null>(null);
  camera = $state.raw<MediaStreamTrack | null>(null);
  screen = $state.raw<MediaStreamTrack | null>(null);
  micOn = $state(true);
  cameraOn = $state(true);
  devices = $state.raw<{ audio: DeviceChoice[]; video: DeviceChoice[] }>({ audio: [], video: [] });
  audioDevice = $state('');
  videoDevice = $state('');
  /** The last thing that could not be opened, and why (shown next to its control). */
  failure = $state<{ source: Source; code: MediaFailure } | null>(null);
  /** What this browser shows of itself: the screen while shared, else the camera. */
  preview = $derived.by(() => {
    const video = this.screen ?? (this.cameraOn ? this.camera : null);
    return video ? new MediaStream([video]) : null;
  });

  /** Called when the track a peer connection should send for a kind changes. */
  onOutgoing: ((kind: 'audio' | 'video', track: MediaStreamTrack | null) => void) | null = null;
  #meter: LevelMeter | null = null;
  #label: (kind: 'audio' | 'video', n: number) => string;
  #stopped = false;
  #onDeviceChange = () => void this.refreshDevices();

  constructor(label: (kind: 'audio' | 'video', n: number) => string) {
    this.#label = label;
  }

  get outgoingVideo(): MediaStreamTrack | null {
    return this.screen ?? (this.cameraOn ? this.camera : null);
  }

  get outgoingAudio(): MediaStreamTrack | null {
    return this.microphone;
  }

  /** Opens the microphone and camera the person wants on (each may fail alone) and lists devices. */
  async start(): Promise<void> {
    this.#stopped = false;
    await Promise.all([
      this.micOn ? this.#open('audio', this.audioDevice) : null,
      this.cameraOn ? this.#open('video', this.videoDevice) : null,
    ]);
    await this.refreshDevices();
    // stop() may have come while the devices were opening: it removed the listener already.
    if (!this.#stopped) navigator.mediaDevices?.addEventListener('devicechange', this.#onDeviceChange);
  }

  async refreshDevices(): Promise<void> {
    try {
      this.devices = await listDevices(this.#label);
    } catch {
      this.devices = { audio: [], video: [] };
    }
    // Show the device actually in use as chosen.
    this.audioDevice = this.microphone?.getSettings().deviceId ?? this.audioDevice;
    this.videoDevice = this.camera?.getSettings().deviceId ?? this.videoDevice;
  }

  async setMic(on: boolean): Promise<void> {
    this.micOn = on;
    if (on && !this.microphone) await this.#open('audio', this.audioDevice);
    if (this.microphone) this.microphone.enabled = on;
  }

  async setCamera(on: boolean): Promise<void> {
    this.cameraOn = on;
    if (on) {
      if (!this.camera) await this.#open('video', this.videoDevice);
      else this.#emitVideo();
      return;
    }
    const camera = this.camera;
    this.camera = null;
    this.#emitVideo();
    camera?.stop();
  }

  /** Switches to another microphone or camera, keeping it on or off as it was. */
  async choose(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    if (kind === 'audio') {
      this.audioDevice = deviceId;
      if (this.microphone || this.micOn) await this.#open('audio', deviceId);
    } else {
      this.videoDevice = deviceId;
      if (this.cameraOn) await this.#open('video', deviceId);
    }
  }

  async startScreen(): Promise<boolean> {
    if (this.screen) return true;
    try {
      const track = await openScreen();
      // The browser's own "Stop sharing" ends the track.
      track.addEventListener('ended', () => {
        if (this.screen === track) this.stopScreen();
      });
      this.screen = track;
      this.failure = null;
      this.#emitVideo();
      return true;
    } catch (err) {
      // Cancelling the browser's picker is a choice, not a failure worth a message.
      const code = err instanceof MediaError ? err.code : 'failed';
      if (code !== 'denied') this.failure = { source: 'screen', code };
      return false;
    }
  }

  stopScreen(): void {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    this.#emitVideo();
    screen.stop();
  }

  /** The microphone's level now (0 while muted), for the meter and the speaking indicator. */
  level(): number {
    if (!this.micOn || !this.microphone || !this.#meter) return 0;
    return this.#meter.level();
  }

  /** Stops every track (the camera's light goes off) and forgets the devices' tracks. */
  stop(): void {
    this.#stopped = true;
    navigator.mediaDevices?.removeEventListener('devicechange', this.#onDeviceChange);
    for (const track of [this.microphone, this.camera, this.screen]) track?.stop();
    this.microphone = null;
    this.camera = null;
    this.screen = null;
    this.#meter?.close();
    this.#meter = null;
  }

  async #open(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    let track: MediaStreamTrack;
    try {
      track = await openTrack(kind, deviceId || undefined);
    } catch (err) {
      this.failure = { source: kind, code: err instanceof MediaError ? err.code : 'failed' };
      // A device that could not replace one already open leaves that one as it was (on or off,
      // and still what the others get); with none open, this kind is off.
      if (kind === 'audio' && !this.microphone) this.micOn = false;
      if (kind === 'video' && !this.camera) this.cameraOn = false;
      return;
    }
    // The call ended, or the camera was turned off, while the device was opening: its light goes off.
    if (this.#stopped || (kind === 'video' && !this.cameraOn)) {
      track.stop();
      return;
    }
    // Unplugged, or taken by the system: this kind is off from now on, and the person is told.
    track.addEventListener('ended', () => this.#ended(kind, track));
    if (this.failure?.source === kind) this.failure = null;
    if (kind === 'audio') {
      const old = this.microphone;
      track.enabled = this.micOn;
      this.microphone = track;
      this.#meter?.close();
      try {
        this.#meter = new LevelMeter(track);
      } catch {
        this.#meter = null; // no Web Audio: no meter, the call works without it
      }
      this.onOutgoing?.('audio', track);
      old?.stop();
    } else {
      const old = this.camera;
      this.camera = track;
      this.#emitVideo();
      old?.stop();
    }
  }

  #ended(kind: 'audio' | 'video', track: MediaStreamTrack): void {
    if (kind === 'audio' && this.microphone === track) {
      this.microphone = null;
      this.micOn = false;
      this.#meter?.close();
      this.#meter = null;
      this.onOutgoing?.('audio', null);
    } else if (kind === 'video' && this.camera === track) {
      this.camera = null;
      this.cameraOn = false;
      this.#emitVideo();
    } else {
      return;
    }
    this.failure = { source: kind, code: 'not-found' };
  }

  #emitVideo(): void {
    this.onOutgoing?.('video', this.outgoingVideo);
  }
}
