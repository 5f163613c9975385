import { WebSocket, type ClientOptions } from 'ws';
import { parseServerMessage, type ServerMessage } from '../../web/lib/meet/protocol';

/**
 * A signaling client for tests (tests/sdk/meet*.test.ts): a real `ws` socket on a real server.
 * Every message it receives is checked with the browser's own validator (parseServerMessage), so
 * the server is held to the protocol the client will trust; `invalid` keeps any that failed.
 */
export type Message<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

export class TestSocket {
  readonly received: ServerMessage[] = [];
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #queue: ServerMessage[] = [];
  #wake: (() => void) | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '<binary>' : (data as Buffer).toString('utf8');
      const parsed = parseServerMessage(text);
      if (!parsed.ok) {
        this.invalid.push(text);
        return;
      }
      this.received.push(parsed.message);
      this.#queue.push(parsed.message);
      this.#wake?.();
    });
    ws.on('error', () => {}); // the close code is what tests look at
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake?.();
      }),
    );
  }

  /** Opens a socket to `/api/hearth/meet/<room>` of the server at `baseUrl`. */
  static async open(baseUrl: string, room: string, options: ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/hearth/meet/${room}`, options);
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`handshake refused: ${res.statusCode ?? 0}`)),
      );
      ws.once('error', reject);
    });
    return socket;
  }

  /** The status and JSON body of a refused handshake. */
  static async refused(
    baseUrl: string,
    path: string,
    options: ClientOptions = {},
  ): Promise<{ status: number; body: unknown }> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${path}`, options);
    ws.on('error', () => {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.terminate();
        reject(new Error(`the handshake to ${path} succeeded`));
      });
      ws.once('unexpected-response', (_req, res) => {
        let raw = '';
        res.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: raw ? (JSON.parse(raw) as unknown) : null }),
        );
      });
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message of `type` (or of any of them; earlier ones of other types stay queued); fails after `ms`. */
  async next<T extends ServerMessage['type']>(type: T | T[], ms = 3000): Promise<Message<T>> {
    const deadline = Date.now() + ms;
    const types: string[] = Array.isArray(type) ? type : [type];
    for (;;) {
      const at = this.#queue.findIndex((m) => types.includes(m.type));
      if (at !== -1) return this.#queue.splice(at, 1)[0] as Message<T>;
      const left = deadline - Date.now();
      if (left <= 0 || this.ws.readyState === WebSocket.CLOSED) {
        throw new Error(`no ${type} message; got ${JSON.stringify(this.#queue.map((m) => m.type))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** The queued messages of `type` that arrive within `ms` (none, when the test expects silence). */
  async within(ms: number, type?: ServerMessage['type']): Promise<ServerMessage[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const taken = this.#queue.filter((m) => type === undefined || m.type === type);
    this.#queue = this.#queue.filter((m) => !taken.includes(m));
    return taken;
  }

  /** Sends `join` and waits for `welcome`. */
  async join(name: string, extra: Record<string, unknown> = {}): Promise<Message<'welcome'>> {
    this.send({ type: 'join', name, ...extra });
    return this.next('welcome');
  }

  close(code?: number): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close(code);
    return this.closed;
  }
}
