/**
 * The local camera, microphone and screen (Media Capture and Streams; Screen Capture): opening them
 * with a chosen device, listing devices, and the microphone's level for the meter and the speaking
 * indicator. Browser-only; the failures a person can act on come back as a MediaFailure code.
 */

export type MediaFailure = 'denied' | 'not-found' | 'busy' | 'unsupported' | 'failed';

export class MediaError extends Error {
  constructor(
    readonly code: MediaFailure,
    cause?: unknown,
  ) {
    super(code, { cause });
  }
}

/** Maps a getUserMedia/getDisplayMedia rejection to what the person should be told. */
export function mediaFailure(err: unknown): MediaFailure {
  const name =
    err instanceof Error || (typeof err === 'object' && err !== null) ? (err as { name?: string }).name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'not-found';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    case 'TypeError':
      return 'unsupported';
    default:
      return 'failed';
  }
}

function devices(): MediaDevices {
  // Only secure contexts (https, localhost) have mediaDevices.
  if (typeof navigator === 'undefined' || !navigator.mediaDevices) throw new MediaError('unsupported');
  return navigator.mediaDevices;
}

/** A camera good enough for a grid of six and light enough for a mesh: 640×360 at up to 24 fps. */
const CAMERA: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 360 },
  frameRate: { ideal: 24, max: 30 },
};
const MICROPHONE: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export async function openTrack(kind: 'audio' | 'video', deviceId?: string): Promise<MediaStreamTrack> {
  const base = kind === 'audio' ? MICROPHONE : CAMERA;
  const constraints = deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
  let stream: MediaStream;
  try {
    stream = await devices().getUserMedia(kind === 'audio' ? { audio: constraints } : { video: constraints });
  } catch (err) {
    throw err instanceof MediaError ? err : new MediaError(mediaFailure(err), err);
  }
  const track = stream.getTracks()[0];
  if (!track) throw new MediaError('not-found');
  return track;
}

export async function openScreen(): Promise<MediaStreamTrack> {
  let stream: MediaStream;
  try {
    const media = devices();
    if (typeof media.getDisplayMedia !== 'function') throw new MediaError('unsupported');
    stream = await media.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
  } catch (err) {
    throw err instanceof MediaError ? err : new MediaError(mediaFailure(err), err);
  }
  const track = stream.getVideoTracks()[0];
  if (!track) throw new MediaError('not-found');
  // Text and slides: keep detail over motion when the network is short.
  if ('contentHint' in track) track.contentHint = 'detail';
  return track;
}

export interface DeviceChoice {
  id: string;
  label: string;
}

/** Cameras and microphones. Labels are empty until a permission was given; `fallback` names those. */
export async function listDevices(
  fallback: (kind: 'audio' | 'video', n: number) => string,
): Promise<{ audio: DeviceChoice[]; video: DeviceChoice[] }> {
  const all = await devices().enumerateDevices();
  const pick = (kind: 'audioinput' | 'videoinput', short: 'audio' | 'video') =>
    all
      .filter((d) => d.kind === kind && d.deviceId !== '')
      .map((d, i) => ({ id: d.deviceId, label: d.label || fallback(short, i + 1) }));
  return { audio: pick('audioinput', 'audio'), video: pick('videoinput', 'video') };
}

/**
 * The microphone's loudness (0–1, RMS of the waveform) through an AnalyserNode. The analyser shows
 * only its last ~40 ms, so it is read every SAMPLE_MS and `level()` returns the loudest reading since
 * the previous call: a short syllable between two polls of the caller still counts.
 */
export class LevelMeter {
  static readonly SAMPLE_MS = 40;
  readonly #context: AudioContext;
  readonly #analyser: AnalyserNode;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #buffer: Float32Array<ArrayBuffer>;
  readonly #timer: ReturnType<typeof setInterval>;
  #peak = 0;

  constructor(track: MediaStreamTrack) {
    this.#context = new AudioContext();
    this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
    this.#analyser = this.#context.createAnalyser();
    this.#analyser.fftSize = 2048;
    this.#buffer = new Float32Array(this.#analyser.fftSize);
    this.#source.connect(this.#analyser);
    this.#timer = setInterval(() => this.#sample(), LevelMeter.SAMPLE_MS);
  }

  level(): number {
    const peak = this.#peak;
    this.#peak = 0;
    return peak;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#source.disconnect();
    void this.#context.close().catch(() => {});
  }

  #sample(): void {
    // A context made before any click may start suspended; once the page has been clicked it runs.
    if (this.#context.state === 'suspended') void this.#context.resume().catch(() => {});
    this.#analyser.getFloatTimeDomainData(this.#buffer);
    let sum = 0;
    for (const x of this.#buffer) sum += x * x;
    // RMS of a full-scale sine is 0.71; scale so speech lands where WebRTC's audioLevel puts it.
    this.#peak = Math.max(this.#peak, Math.min(1, Math.sqrt(sum / this.#buffer.length) * 1.4));
  }
}
