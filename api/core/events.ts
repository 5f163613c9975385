/**
 * The core event bus: typed publish/subscribe, delivered only after the publishing transaction
 * commits (never for a rolled-back write). Realtime, jobs and later NATS fan-out build on it; any
 * implementation must pass the contract suite in events.contract.ts.
 */

/**
 * Event name → payload. Capabilities add their own events by declaration merging:
 * `declare module '../core/events' { interface HearthEvents { RecordCreate: {...} } }`.
 */
export interface HearthEvents {
  SettingsUpdate: { keys: string[] };
  SuperuserUpsert: { id: string; email: string; created: boolean };
  /** The HTTP server is about to stop accepting requests: close long-lived streams. */
  ServerClosing: Record<string, never>;
  /**
   * Something (a backup restore through the API) needs the process to start over: `hearth serve`
   * stops serving, runs what waits for a restart, and serves again on the same address.
   */
  RestartRequested: { reason: string };
}

export type EventName = keyof HearthEvents & string;
export type EventHandler<K extends EventName> = (payload: HearthEvents[K]) => void | Promise<void>;
export type AnyEventHandler = <K extends EventName>(
  name: K,
  payload: HearthEvents[K],
) => void | Promise<void>;
export type Unsubscribe = () => void;

export interface EventBus {
  /** Queues the event; subscribers see it once the current transaction (if any) has committed. */
  publish<K extends EventName>(name: K, payload: HearthEvents[K]): void;
  subscribe<K extends EventName>(name: K, handler: EventHandler<K>): Unsubscribe;
  /** Every event, with its name (logs, tests, the NATS bridge). */
  subscribeAll(handler: AnyEventHandler): Unsubscribe;
  /** Resolves once every event published so far has reached this process's subscribers. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface InProcessBusOptions {
  /** Defers a callback until the current transaction commits (Database.afterCommit). */
  afterCommit: (fn: () => void) => void;
  /** Where a subscriber's error goes; one failing subscriber never stops the others or the writer. */
  onError: (err: unknown, name: string) => void;
}

/** The single-process bus: delivery is synchronous at commit, in subscription order. */
export class InProcessBus implements EventBus {
  readonly #byName = new Map<string, Set<(payload: unknown) => void | Promise<void>>>();
  readonly #all = new Set<AnyEventHandler>();
  readonly #options: InProcessBusOptions;

  constructor(options: InProcessBusOptions) {
    this.#options = options;
  }

  publish<K extends EventName>(name: K, payload: HearthEvents[K]): void {
    this.#options.afterCommit(() => this.#deliver(name, payload));
  }

  subscribe<K extends EventName>(name: K, handler: EventHandler<K>): Unsubscribe {
    let set = this.#byName.get(name);
    if (!set) this.#byName.set(name, (set = new Set()));
    const h = handler as (payload: unknown) => void | Promise<void>;
    set.add(h);
    return () => set.delete(h);
  }

  subscribeAll(handler: AnyEventHandler): Unsubscribe {
    this.#all.add(handler);
    return () => this.#all.delete(handler);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#byName.clear();
    this.#all.clear();
    return Promise.resolve();
  }

  #deliver<K extends EventName>(name: K, payload: HearthEvents[K]): void {
    for (const handler of [...(this.#byName.get(name) ?? [])]) this.#call(name, () => handler(payload));
    for (const handler of [...this.#all]) this.#call(name, () => handler(name, payload));
  }

  #call(name: string, run: () => void | Promise<void>): void {
    try {
      const result = run();
      if (result instanceof Promise) result.catch((err: unknown) => this.#options.onError(err, name));
    } catch (err) {
      this.#options.onError(err, name);
    }
  }
}
