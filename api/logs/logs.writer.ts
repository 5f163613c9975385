import { randomInt } from 'node:crypto';
import { formatDateTime } from '../lib/time';
import type { LogRow } from './logs.store';

/** An entry waiting to be written; `time` is when it was made (ms since the epoch). */
export interface PendingEntry {
  time: number;
  level: number;
  message: string;
  /** JSON text, made when the entry was: a caller's object may change after it handed it over. */
  data: string;
}

export interface LogWriterOptions {
  /** Writes one batch (in one transaction); a throw drops the batch and is reported to `onError`. */
  sink: (rows: LogRow[]) => void;
  onError: (err: unknown, lost: number) => void;
  /** How long an entry may wait before its batch is written. */
  flushMs?: number;
  /** A batch this big is written at once (after the current request, on the next turn of the loop). */
  batchSize?: number;
  /** Entries past this many waiting are dropped and counted: a flood cannot grow memory without bound. */
  maxPending?: number;
}

export const FLUSH_MS = 1000;
export const BATCH_SIZE = 500;
export const MAX_PENDING = 20_000;

/**
 * Batches log entries in memory and writes them in one transaction, as PocketBase's logger does
 * (a debounce and a batch threshold): a request pays for a push onto an array, never for a disk
 * write. What is still waiting when the process dies is lost; `flush()` on shutdown writes it.
 */
export class LogWriter {
  readonly #options: Required<LogWriterOptions>;
  #pending: PendingEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #dropped = 0;
  #closed = false;
  readonly #ids = new LogIds();

  constructor(options: LogWriterOptions) {
    this.#options = { flushMs: FLUSH_MS, batchSize: BATCH_SIZE, maxPending: MAX_PENDING, ...options };
  }

  /** Entries dropped so far because too many were waiting (or the writer was closed). */
  get dropped(): number {
    return this.#dropped;
  }

  get pending(): number {
    return this.#pending.length;
  }

  push(entry: PendingEntry): void {
    if (this.#closed || this.#pending.length >= this.#options.maxPending) {
      this.#dropped++;
      return;
    }
    this.#pending.push(entry);
    if (this.#pending.length >= this.#options.batchSize) {
      this.#immediate ??= setImmediate(() => this.flush());
    } else if (!this.#timer) {
      // unref'd: waiting entries never keep the process alive; close() writes them.
      this.#timer = setTimeout(() => this.flush(), this.#options.flushMs).unref();
    }
  }

  /** Writes everything waiting now, in one transaction. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    // Under load dozens of entries share a millisecond: its text is made once.
    let time = NaN;
    let created = '';
    const rows = batch.map((e): LogRow => {
      if (e.time !== time) {
        time = e.time;
        created = formatDateTime(new Date(time));
      }
      return { id: this.#ids.next(time), created, level: e.level, message: e.message, data: e.data };
    });
    try {
      this.#options.sink(rows);
    } catch (err) {
      this.#options.onError(err, rows.length);
    }
  }

  /** Writes what is waiting; later entries are dropped. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}

// Digits first, so that the text order of ids is their numeric order.
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 9;
const SEQ_CHARS = 6;
const SEQ_SPACE = 36 ** SEQ_CHARS;

/**
 * Ids as PocketBase's (15 characters of [a-z0-9]) that grow with time: the first 9 are the
 * millisecond (base 36, good until the year 5138), the last 6 a counter that starts at random each
 * millisecond. Rising keys are appended to the primary key's index instead of landing on random
 * pages of it, and within this process no two are the same. They tell when an entry was made, which
 * `created` says anyway.
 */
export class LogIds {
  #time = 0;
  #prefix = encode(0, TIME_CHARS);
  #seq = 0;

  next(time: number): string {
    if (time > this.#time) {
      this.#setTime(time);
      this.#seq = randomInt(SEQ_SPACE / 2); // half the space left for the millisecond's other ids
    } else {
      this.#seq++; // the same millisecond, or the clock went back: keep rising
      if (this.#seq >= SEQ_SPACE) {
        this.#setTime(this.#time + 1);
        this.#seq = 0;
      }
    }
    return this.#prefix + encode(this.#seq, SEQ_CHARS);
  }

  #setTime(time: number): void {
    this.#time = time;
    this.#prefix = encode(time, TIME_CHARS);
  }
}

function encode(value: number, width: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[v % 36]! + out;
    v = Math.floor(v / 36);
  }
  return out;
}
