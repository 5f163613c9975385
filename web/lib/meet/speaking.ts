/**
 * Who is speaking, from audio levels sampled a few times a second (0–1, linear, as WebRTC's
 * `audioLevel`). A hysteresis keeps the indicator from flickering between words: it lights above
 * `on`, and goes out only after the level stayed under `off` for `holdMs`.
 */
export interface SpeakingOptions {
  on?: number;
  off?: number;
  holdMs?: number;
}

export class SpeakingDetector {
  readonly #on: number;
  readonly #off: number;
  readonly #holdMs: number;
  #speaking = false;
  #quietSince: number | null = null;

  constructor(options: SpeakingOptions = {}) {
    this.#on = options.on ?? 0.06;
    this.#off = options.off ?? 0.03;
    this.#holdMs = options.holdMs ?? 700;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Feeds one level sample taken at `now` (ms); returns whether the person counts as speaking. */
  sample(level: number, now: number): boolean {
    const value = Number.isFinite(level) ? level : 0;
    if (value >= this.#on) {
      this.#speaking = true;
      this.#quietSince = null;
    } else if (this.#speaking && value < this.#off) {
      this.#quietSince ??= now;
      if (now - this.#quietSince >= this.#holdMs) {
        this.#speaking = false;
        this.#quietSince = null;
      }
    } else if (value >= this.#off) {
      this.#quietSince = null;
    }
    return this.#speaking;
  }

  reset(): void {
    this.#speaking = false;
    this.#quietSince = null;
  }
}
