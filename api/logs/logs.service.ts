import type { EventBus, Unsubscribe } from '../core/events';
import type { Logger } from '../core/logger';
import type { SettingValues } from '../core/settings';
import { formatDateTime } from '../lib/time';
import { LogStore, type LogRow } from './logs.store';
import { LogWriter, type LogWriterOptions } from './logs.writer';
import type { logsSettings } from './settings.defs';

/** Levels as PocketBase's (Go's log/slog): a request that failed is ERROR, any other INFO. */
export const LogLevel = { debug: -4, info: 0, warn: 4, error: 8 } as const;

type LogsValues = SettingValues<typeof logsSettings>;

/** The part of the settings store the logs read (HearthSettings, or a stub in unit tests). */
export interface LogsSettingsReader {
  get<K extends keyof LogsValues>(key: K): LogsValues[K];
}

/** PocketBase's default Logs.MaxDataSize: a bigger message or `data` is cut down to this. */
export const MAX_DATA_SIZE = 16 * 1024;

/**
 * At most this many entries are kept, whatever `logs.maxDays` says. maxDays bounds their age, not
 * their number: a client hammering the API at the ~30 000 requests a second one process answers
 * would write 2.6 billion entries (about a terabyte) a day and fill the disk long before five days
 * are up. A million entries of browser requests take about 650 MB (measured: 652 bytes each, indexes
 * included); past that the oldest go first.
 */
export const MAX_ROWS = 1_000_000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** At most this many entries over MAX_ROWS are deleted per batch written, so no write stalls long. */
const TRIM_CHUNK = 10_000;

export interface LogsOptions {
  settings: LogsSettingsReader;
  /** Where the log's own failures go (a batch that could not be written, entries dropped). */
  logger: Logger;
  /** Settings changes to `logs.maxDays` apply retention at once. */
  bus?: EventBus;
  /** The clock entries are stamped with (ms since the epoch); tests inject one. */
  now?: () => number;
  maxRows?: number;
  writer?: Pick<LogWriterOptions, 'flushMs' | 'batchSize' | 'maxPending'>;
}

/**
 * The logs capability's service: any capability writes entries with `write(level, message, data)`
 * (request entries are one kind, with `data.type = "request"`); they are batched in memory and kept in
 * `<dir>/auxiliary.db` for `logs.maxDays` days.
 */
export class Logs {
  readonly store: LogStore;
  readonly #settings: LogsSettingsReader;
  readonly #logger: Logger;
  readonly #writer: LogWriter;
  readonly #now: () => number;
  readonly #maxRows: number;
  #rows: number;
  #reportedDrops = 0;
  #unsubscribe: Unsubscribe | undefined;

  constructor(store: LogStore, options: LogsOptions) {
    this.store = store;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#maxRows = options.maxRows ?? MAX_ROWS;
    this.#rows = store.total();
    this.#writer = new LogWriter({
      ...options.writer,
      sink: (rows) => this.#store(rows),
      onError: (err, lost) => this.#logger.error({ err, lost }, 'log entries could not be written'),
    });
    this.#unsubscribe = options.bus?.subscribe('SettingsUpdate', ({ keys }) => {
      // Delivered at commit, before the settings store reads its new values: a microtask later it has.
      if (keys.includes('logs.maxDays')) queueMicrotask(() => this.#runRetention());
    });
  }

  /** Opens `<dir>/auxiliary.db`. */
  static open(dir: string, options: LogsOptions): Logs {
    return new Logs(LogStore.open(dir), options);
  }

  /** Whether an entry of this level is written now: logs kept at all, and not below `logs.minLevel`. */
  enabled(level: number): boolean {
    return this.#settings.get('logs.maxDays') > 0 && level >= this.#settings.get('logs.minLevel');
  }

  /**
   * Writes an entry (soon, in a batch) unless `enabled(level)` says no. `data` is any JSON object;
   * past MAX_DATA_SIZE it is cut down, as PocketBase does.
   */
  write(level: number, message: string, data: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    this.#writer.push({
      time: this.#now(),
      level,
      message: message.length > MAX_DATA_SIZE ? message.slice(0, MAX_DATA_SIZE) : message,
      data: serialize(data),
    });
  }

  /** Entries dropped because too many were waiting to be written. */
  get dropped(): number {
    return this.#writer.dropped;
  }

  /** Writes every waiting entry now. */
  flush(): void {
    this.#writer.flush();
  }

  /**
   * Deletes the entries older than `logs.maxDays` days before `now` (all of them when it is 0), and
   * the oldest past MAX_ROWS. Waiting entries are written first, so they are judged too. Returns how
   * many went.
   */
  deleteOldLogs(now: Date = new Date(this.#now())): number {
    this.flush();
    const maxDays = this.#settings.get('logs.maxDays');
    const cutoff = new Date(now.getTime() - maxDays * DAY_MS);
    let deleted = this.store.deleteCreatedBefore(formatDateTime(cutoff));
    this.#rows = Math.max(0, this.#rows - deleted);
    while (this.#rows > this.#maxRows) {
      const trimmed = this.store.deleteOldest(this.#rows - this.#maxRows);
      deleted += trimmed;
      this.#rows -= trimmed;
      if (trimmed === 0) break;
    }
    return deleted;
  }

  /** Writes what is waiting, stops the timers and closes auxiliary.db (checkpointing its WAL). */
  close(): { checkpointed: boolean } {
    this.#unsubscribe?.();
    this.#writer.close();
    return this.store.close();
  }

  #runRetention(): void {
    try {
      const deleted = this.deleteOldLogs();
      if (deleted > 0) this.#logger.info({ deleted }, 'old log entries deleted');
    } catch (err) {
      this.#logger.error({ err }, 'old log entries could not be deleted');
    }
  }

  /** The writer's sink: one transaction per batch, then the oldest rows past the cap. */
  #store(rows: LogRow[]): void {
    this.store.insert(rows);
    this.#rows += rows.length;
    if (this.#rows > this.#maxRows) {
      this.#rows -= this.store.deleteOldest(Math.min(this.#rows - this.#maxRows, TRIM_CHUNK));
    }
    const dropped = this.#writer.dropped;
    if (dropped > this.#reportedDrops) {
      this.#logger.warn(
        { dropped: dropped - this.#reportedDrops },
        'log entries dropped: more were waiting to be written than the buffer holds',
      );
      this.#reportedDrops = dropped;
    }
  }
}

/** `data` as JSON text, cut down past MAX_DATA_SIZE (whole keys kept, `__pb_truncated__` added). */
export function serialize(data: Record<string, unknown>): string {
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    return JSON.stringify({ error: `The log data could not be serialized: ${(err as Error).message}` });
  }
  if (json.length <= MAX_DATA_SIZE) return json;
  const kept: Record<string, unknown> = {};
  let size = 2;
  for (const [key, value] of Object.entries(data)) {
    const part = JSON.stringify({ [key]: value }).length - 1; // `"key":value` and a comma
    if (size + part > MAX_DATA_SIZE - 30) continue;
    kept[key] = value;
    size += part;
  }
  kept['__pb_truncated__'] = true;
  return JSON.stringify(kept);
}
