import type { SeenStorage } from './seen-versions';

/** A save sealed while the notes were unlocked, waiting to reach the server. */
export interface SealedSave {
  id: string;
  version: number;
  ciphertext: string;
}

/** How a send went: stored, refused for good (a newer version is there), or worth another try. */
export type SendResult = 'stored' | 'refused' | 'retry';

const PREFIX = 'hearth_notes_outbox:';
const MAX_DELAY_MS = 60_000;

/**
 * Saves that could not be made in time — the app locked (or the tab was closing) with an edit
 * unsaved, or the server was unreachable — kept **sealed**, so they need no key to be sent later:
 * locking never waits for the network and never drops text. Kept in the browser's storage as the
 * ciphertext the server would have stored anyway, so they survive a reload too. A save the server
 * refuses (the note moved on meanwhile) is set aside until the next unlock, when the app keeps its
 * text as a conflicting copy.
 */
export class Outbox {
  readonly #storage: SeenStorage | null;
  readonly #key: string;
  readonly #send: (save: SealedSave) => Promise<SendResult>;
  readonly #sleep: (ms: number) => Promise<void>;
  #waiting: SealedSave[];
  #refused: SealedSave[];
  #draining: Promise<void> | null = null;

  constructor(
    storage: SeenStorage | null,
    userId: string,
    send: (save: SealedSave) => Promise<SendResult>,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  ) {
    this.#storage = storage;
    this.#key = PREFIX + userId;
    this.#send = send;
    this.#sleep = sleep;
    const stored = read(storage, this.#key);
    this.#waiting = stored.waiting;
    this.#refused = stored.refused;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Queues a sealed save and starts sending; resolves when the queue is empty. */
  add(save: SealedSave): Promise<void> {
    this.#waiting.push(save);
    this.#write();
    return this.drain();
  }

  /** Sends what waits, in order, retrying with a growing pause while the server cannot be reached. */
  drain(): Promise<void> {
    this.#draining ??= this.#run().finally(() => (this.#draining = null));
    return this.#draining;
  }

  /** The saves the server refused, handed over once (the caller keeps their text as copies). */
  takeRefused(): SealedSave[] {
    const refused = this.#refused;
    this.#refused = [];
    if (refused.length > 0) this.#write();
    return refused;
  }

  async #run(): Promise<void> {
    let delay = 1000;
    while (this.#waiting.length > 0) {
      const save = this.#waiting[0]!;
      const result = await this.#send(save).catch((): SendResult => 'retry');
      if (result === 'retry') {
        await this.#sleep(delay);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        continue;
      }
      this.#waiting.shift();
      if (result === 'refused') this.#refused.push(save);
      this.#write();
      delay = 1000;
    }
  }

  #write(): void {
    try {
      this.#storage?.setItem(this.#key, JSON.stringify({ waiting: this.#waiting, refused: this.#refused }));
    } catch {
      // Storage full or disabled: the queue still lives for this page.
    }
  }
}

function isSave(v: unknown): v is SealedSave {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['id'] === 'string' &&
    Number.isSafeInteger(s['version']) &&
    typeof s['ciphertext'] === 'string' &&
    /^[A-Za-z0-9_-]+$/.test(s['ciphertext'])
  );
}

function read(storage: SeenStorage | null, key: string): { waiting: SealedSave[]; refused: SealedSave[] } {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key) ?? '{}');
    const list = (v: unknown) => (Array.isArray(v) ? v.filter(isSave) : []);
    const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    return { waiting: list(o['waiting']), refused: list(o['refused']) };
  } catch {
    return { waiting: [], refused: [] };
  }
}
