import {
  CLOSE,
  parseClientMessage,
  parseServerMessage,
  RESUME_GRACE_SECONDS,
  type ClientMessage,
  type ErrorCode,
  type JoinMessage,
  type ServerMessage,
} from './protocol';

/**
 * The browser's end of Meet's signaling (docs/meet.md): one WebSocket to `/api/hearth/meet/<room>`,
 * `join` on open, every server message checked with `parseServerMessage`, and a dropped socket
 * reconnected with backoff and taken back with `resume` within the server's grace period. Plain
 * TypeScript over the WebSocket interface only, so it runs (and is tested) in Node with `ws`.
 */

/** The part of the WebSocket interface this client uses (the DOM's and `ws`'s both have it). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketConstructor = new (url: string) => SocketLike;

export type SignalingStatus = 'connecting' | 'joined' | 'waiting' | 'reconnecting' | 'closed';

export interface StatusDetail {
  /** `joined`: this client's peer id. */
  id?: string;
  /** `joined`: the server gave the old seat back (same id; the others saw nothing). */
  resumed?: boolean;
  /**
   * `joined` after a drop that could not be resumed: a new id, and the others saw this client leave
   * and join again — every peer connection must be rebuilt. `previousId` is the old id.
   */
  rejoined?: boolean;
  previousId?: string;
  /** `reconnecting`: the attempt number (1 for the first) and its delay in milliseconds. */
  attempt?: number;
  delay?: number;
  /** `closed` (and `reconnecting`): the close code and reason of the socket that went. */
  code?: number;
  reason?: string;
  /** `closed`: the refusal the server sent before closing, to show the person. */
  error?: { code: ErrorCode; message: string };
}

/** Timers, injectable so tests can run the backoff without waiting. */
export interface SignalingTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface SignalingOptions {
  /** `ws(s)://<host>/api/hearth/meet/<room>`. */
  url: string;
  join: { name: string; password?: string; hostKey?: string; token?: string };
  WebSocketImpl?: SocketConstructor;
  onMessage?: (message: ServerMessage) => void;
  onStatus?: (status: SignalingStatus, detail?: StatusDetail) => void;
  timers?: SignalingTimers;
  /** For the backoff's jitter; Math.random by default. */
  random?: () => number;
  /** Backoff: the first delay and the ceiling, in milliseconds (0.5 s doubling up to 8 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** How long after a drop a `resume` is still worth sending (the server's grace period). */
  resumeWindowMs?: number;
}

const OPEN = 1;
/** Messages kept while not joined; past this the oldest go (a person will not type 256 lines offline). */
const MAX_QUEUE = 256;

/**
 * Close codes after which coming back cannot help: refusals (4401 password, 4403 forbidden/denied,
 * 4404 no room, 4409 full, 4429 rate-limited), 4410 removed/ended, 4000 replaced by another socket
 * of the same peer (reconnecting would take the seat back from it), 4400/4408 and the 100x codes
 * that mean this client sent something wrong.
 */
function isFinalClose(code: number): boolean {
  return (
    code >= 4000 || [CLOSE.normal, CLOSE.unsupportedData, 1007, 1008, CLOSE.tooLarge].includes(code as never)
  );
}

const defaultTimers: SignalingTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

export class SignalingClient {
  readonly #options: SignalingOptions;
  readonly #timers: SignalingTimers;
  readonly #random: () => number;
  #socket: SocketLike | null = null;
  #status: SignalingStatus | null = null;
  /** The seat from the last `welcome`, for `resume`. */
  #seat: { id: string; secret: string } | null = null;
  /** When the seat's socket dropped (null while joined): the resume window counts from here. */
  #droppedAt: number | null = null;
  #attempt = 0;
  #retry: unknown = null;
  #queue: ClientMessage[] = [];
  #lastError: { code: ErrorCode; message: string } | null = null;
  /** Set by `removed`, `denied` and `ended`: the close that follows is the end. */
  #final = false;

  constructor(options: SignalingOptions) {
    this.#options = options;
    this.#timers = options.timers ?? defaultTimers;
    this.#random = options.random ?? Math.random;
  }

  /** This client's peer id once joined (it changes only after a drop that could not be resumed). */
  get id(): string | null {
    return this.#seat?.id ?? null;
  }

  get status(): SignalingStatus | null {
    return this.#status;
  }

  /** Opens the socket and joins. Calling it again while connected does nothing. */
  connect(): void {
    if (this.#socket !== null || this.#retry !== null) return;
    this.#final = false;
    this.#setStatus('connecting');
    this.#open();
  }

  /**
   * Sends a message once joined; before that (connecting, reconnecting, waiting at the lobby) it is
   * queued and sent after `welcome`. Returns false, sending nothing, when the client is closed or the
   * message is not valid under the protocol. `join` is the client's own business; `leave` is close().
   */
  send(message: ClientMessage): boolean {
    if (this.#status === 'closed' || this.#status === null) return false;
    if (message.type === 'join') return false;
    if (message.type === 'leave') {
      this.close();
      return true;
    }
    const parsed = parseClientMessage(JSON.stringify(message));
    if (!parsed.ok) return false;
    if (this.#status === 'joined' && this.#socket?.readyState === OPEN) {
      this.#socket.send(JSON.stringify(parsed.message));
    } else {
      this.#queue.push(parsed.message);
      if (this.#queue.length > MAX_QUEUE) this.#queue.shift();
    }
    return true;
  }

  /** Hangs up: `leave`, then a close with 1000 (which also gives the seat up at once). */
  close(): void {
    if (this.#status === 'closed') return;
    this.#clearRetry();
    const socket = this.#socket;
    this.#socket = null;
    this.#queue = [];
    if (socket !== null) {
      this.#detach(socket);
      if (socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'leave' }));
      try {
        socket.close(CLOSE.normal);
      } catch {
        // A socket still connecting may refuse to close in some implementations: it is dropped anyway.
      }
    }
    this.#setStatus('closed', { code: CLOSE.normal, reason: '' });
  }

  #open(): void {
    const Impl = this.#options.WebSocketImpl ?? (globalThis.WebSocket as unknown as SocketConstructor);
    let socket: SocketLike;
    try {
      socket = new Impl(this.#options.url);
    } catch {
      // A bad URL throws synchronously: nothing to retry.
      this.#setStatus('closed', { code: 1006, reason: 'The WebSocket could not be opened.' });
      return;
    }
    this.#socket = socket;
    this.#lastError = null;
    socket.onopen = () => socket.send(JSON.stringify(this.#joinMessage()));
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return; // the protocol is JSON text only
      const parsed = parseServerMessage(event.data);
      if (parsed.ok) this.#receive(parsed.message);
    };
    socket.onerror = () => {}; // the close that follows says what happened
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#dropped(event.code, event.reason);
    };
  }

  #joinMessage(): JoinMessage {
    const { name, password, hostKey, token } = this.#options.join;
    const join: JoinMessage = { type: 'join', name };
    if (password !== undefined) join.password = password;
    if (hostKey !== undefined) join.hostKey = hostKey;
    if (token !== undefined) join.token = token;
    const window = this.#options.resumeWindowMs ?? RESUME_GRACE_SECONDS * 1000;
    // Past the window the server has given the seat up: a resume would only be a slower fresh join.
    if (this.#seat !== null && this.#droppedAt !== null && this.#timers.now() - this.#droppedAt < window) {
      join.resume = { peer: this.#seat.id, secret: this.#seat.secret };
    }
    return join;
  }

  #receive(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome': {
        const previous = this.#seat;
        const rejoined = previous !== null && (!message.resumed || previous.id !== message.id);
        this.#seat = { id: message.id, secret: message.secret };
        this.#droppedAt = null;
        this.#attempt = 0;
        // Signals queued for the old seat's peer connections mean nothing to the new one.
        if (rejoined) this.#queue = this.#queue.filter((m) => m.type !== 'signal');
        this.#options.onMessage?.(message);
        const detail: StatusDetail = { id: message.id, resumed: message.resumed };
        if (rejoined) Object.assign(detail, { rejoined: true, previousId: previous.id });
        this.#setStatus('joined', detail);
        this.#flush();
        return;
      }
      case 'waiting':
        this.#options.onMessage?.(message);
        this.#setStatus('waiting');
        return;
      case 'removed':
      case 'denied':
      case 'ended':
        this.#final = true;
        break;
      case 'error':
        this.#lastError = { code: message.code, message: message.message };
        break;
    }
    this.#options.onMessage?.(message);
  }

  #flush(): void {
    const socket = this.#socket;
    while (this.#queue.length > 0 && this.#status === 'joined' && socket?.readyState === OPEN) {
      socket.send(JSON.stringify(this.#queue.shift()));
    }
  }

  #dropped(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket !== null) this.#detach(socket);
    this.#socket = null;
    if (this.#final || isFinalClose(code)) {
      this.#queue = [];
      const detail: StatusDetail = { code, reason };
      if (this.#lastError !== null) detail.error = this.#lastError;
      this.#setStatus('closed', detail);
      return;
    }
    // Only the first drop starts the resume window; a failed reconnect does not extend it.
    if (this.#seat !== null && this.#droppedAt === null) this.#droppedAt = this.#timers.now();
    const min = this.#options.minDelayMs ?? 500;
    const max = this.#options.maxDelayMs ?? 8000;
    const base = Math.min(max, min * 2 ** this.#attempt);
    // Jitter (50–100 % of the step) so a room whose server blipped does not come back all at once.
    const delay = Math.round(base * (0.5 + this.#random() / 2));
    this.#attempt += 1;
    this.#setStatus('reconnecting', { attempt: this.#attempt, delay, code, reason });
    this.#retry = this.#timers.setTimeout(() => {
      this.#retry = null;
      this.#open();
    }, delay);
  }

  #detach(socket: SocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = () => {};
  }

  #clearRetry(): void {
    if (this.#retry !== null) this.#timers.clearTimeout(this.#retry);
    this.#retry = null;
  }

  #setStatus(status: SignalingStatus, detail?: StatusDetail): void {
    this.#status = status;
    this.#options.onStatus?.(status, detail);
  }
}
