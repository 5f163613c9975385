import { createServer, ServerResponse, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { ApiError } from './core/errors';
import type { Hearth } from './main';

/** adapter-node's `handler` (build/web/handler.js): a connect-style middleware. */
export type WebHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface RunningServer {
  server: Server;
  /** `http://host:port` as clients reach it. */
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Headers every response carries (QUALITY.md "http" row), unless the handler set its own: pages get
 * a nonce-based CSP from SvelteKit (kit.csp in svelte.config.js), which wins over the strict default
 * meant for API and asset bytes.
 */
const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  ['X-Frame-Options', 'DENY'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
];
const HSTS = ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as const;

/**
 * Adds the security headers inside writeHead rather than with setHeader up front: setHeader before a
 * writeHead(status, headers) sends Node down its slow header-merging path, which cost the health
 * endpoint about 17 % of its throughput (docs/BENCHMARKS.md, "What it took").
 */
class SecureResponse extends ServerResponse<IncomingMessage> {
  // Node's writeHead takes (status, headers?) or (status, reason, headers?).
  override writeHead(statusCode: number, ...rest: unknown[]): this {
    const last = rest.length > 0 && typeof rest[rest.length - 1] !== 'string' ? rest.pop() : undefined;
    const wanted =
      this.req.headers['x-forwarded-proto'] === 'https' ? [...SECURITY_HEADERS, HSTS] : SECURITY_HEADERS;
    let headers: unknown = last;
    if (last === undefined || last === null) {
      for (const [name, value] of wanted) if (!this.hasHeader(name)) this.setHeader(name, value);
    } else if (Array.isArray(last)) {
      // Flat [name, value, ...] or nested [[name, value], ...].
      const flat = (last.length > 0 && Array.isArray(last[0]) ? last.flat() : last) as string[];
      const names = new Set(flat.filter((_, i) => i % 2 === 0).map((n) => String(n).toLowerCase()));
      const missing = wanted.filter(([n]) => !names.has(n.toLowerCase()) && !this.hasHeader(n));
      headers = missing.length > 0 ? [...missing.flat(), ...flat] : flat;
    } else {
      const given = last as Record<string, unknown>;
      const names = new Set(Object.keys(given).map((n) => n.toLowerCase()));
      const out: Record<string, unknown> = {};
      for (const [name, value] of wanted)
        if (!names.has(name.toLowerCase()) && !this.hasHeader(name)) out[name] = value;
      headers = Object.assign(out, given);
    }
    // A refusal sent before the body was read (413, an upload past its file limit).
    if (statusCode >= 400 && !this.req.complete) lingerBeforeClose(this.req);
    return (super.writeHead as (code: number, ...args: unknown[]) => this)(
      statusCode,
      ...rest,
      ...(headers === undefined ? [] : [headers]),
    );
  }
}

const LINGER_MS = 2000;
const LINGER_BYTES = 8 * 1024 * 1024;

/**
 * Lingering close (as nginx does) for a request refused before its body was read. Closing a socket
 * with unread data sends a TCP reset, which can destroy our 413 before the client reads it; a client
 * still uploading would see "connection reset" instead of the reason. So after the response, the
 * socket half-closes and drains — at most LINGER_BYTES or LINGER_MS, never the whole body — and is
 * destroyed when the client stops sending.
 */
function lingerBeforeClose(req: IncomingMessage): void {
  req.socket.destroySoon = function lingeringDestroy(this: Socket) {
    let drained = 0;
    const stop = () => this.destroy();
    setTimeout(stop, LINGER_MS).unref();
    this.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > LINGER_BYTES) stop();
    });
    this.once('end', stop);
    this.end();
    req.resume(); // the HTTP parser would otherwise pause the socket once req's buffer is full
    this.resume();
  };
}

/**
 * The header through which the SvelteKit handler learns the request's protocol (adapter-node's
 * PROTOCOL_HEADER). Hearth sets it on every request, so a client cannot choose it: `https` when a
 * TLS proxy says so with X-Forwarded-Proto, else `http`.
 */
export const PROTOCOL_HEADER = 'x-hearth-proto';

function isApiPath(url = '/'): boolean {
  return url.startsWith('/api/') || url === '/api' || url.startsWith('/api?');
}

/** Where the admin console lives; `dashboard.<domain>` sends every other page there. */
export const CONSOLE_PATH = '/_/';

/**
 * Matches the Host header of `dashboard.<domain>` on any port (a trailing dot too, as a fully
 * qualified name may come): one regular expression test per request, nothing more for other hosts.
 */
export function dashboardHostPattern(domain: string): RegExp {
  const escaped = domain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^dashboard\\.${escaped}\\.?(?::\\d{1,5})?$`, 'i');
}

/**
 * On the dashboard host, pages outside the console go to it. The console's own paths, its assets
 * (SvelteKit's /_app/, /favicon…), first-run setup and the API stay reachable, since the console needs them. `/_`
 * is the console too: SvelteKit (trailingSlash 'never') answers `/_/` with a redirect to it, which
 * must not be sent back.
 */
function isConsolePath(url = '/'): boolean {
  return (
    url.startsWith(CONSOLE_PATH) ||
    url === '/_' ||
    url.startsWith('/_?') ||
    url.startsWith('/_app/') ||
    url.startsWith('/favicon') ||
    // First-run setup: the console links there when no superuser exists yet.
    url === '/setup' ||
    url.startsWith('/setup?') ||
    url === '/robots.txt' ||
    isApiPath(url)
  );
}

/**
 * One node:http server, one port: `/api/…` goes to the Hono API, everything else to the SvelteKit
 * handler, except that a page asked of `dashboard.<domain>` outside the console is redirected to
 * it. Resolves once listening; rejects with a readable message when the port is taken.
 */
export function startServer(
  hearth: Hearth,
  options: { host: string; port: number; web?: WebHandler },
): Promise<RunningServer> {
  const api = getRequestListener(hearth.api.fetch);
  const dashboardHost = dashboardHostPattern(hearth.config.domain);
  let closing = false;

  const server = createServer({ ServerResponse: SecureResponse }, (req, res) => {
    // While shutting down, finish this request but do not keep its connection.
    if (closing) res.setHeader('Connection', 'close');
    if (
      dashboardHost.test(req.headers.host ?? '') &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      !isConsolePath(req.url)
    ) {
      res.writeHead(302, { location: CONSOLE_PATH, 'content-length': '0' }).end();
      return;
    }
    if (isApiPath(req.url) || !options.web) {
      void api(req, res);
      return;
    }
    req.headers[PROTOCOL_HEADER] = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
    options.web(req, res, () => {
      // adapter-node's handler answers everything itself; this only runs if that ever changes.
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    });
  });
  const upgraded = routeUpgrades(server, hearth, () => closing);
  // A client must send its headers within 20 s and its whole request within Node's default 300 s,
  // so slow senders cannot hold sockets forever. (Response streams such as SSE are not limited.)
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `${options.host}:${options.port} is already in use. Stop the other program or pick another address with --http.`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new Error(
            `No permission to listen on ${options.host}:${options.port}. Use a port above 1023 or run behind a reverse proxy.`,
          ),
        );
      } else {
        reject(err);
      }
    });
    server.listen(options.port, options.host, () => {
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        server,
        url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`,
        close(graceMs = 10_000) {
          closing = true;
          return new Promise((done) => {
            const idle = setInterval(() => server.closeIdleConnections(), 50);
            const force = setTimeout(() => {
              server.closeAllConnections();
              // WebSockets left by their handlers (meet closes its own on ServerClosing).
              for (const socket of upgraded) socket.destroy();
            }, graceMs);
            server.close(() => {
              clearInterval(idle);
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          });
        },
      });
    });
  });
}

/**
 * WebSocket upgrades (ARCHITECTURE.md "One process, one port", 3): a request for a path some
 * capability registered (`hearth.upgrades`) goes to it; any other is answered 404 and its socket
 * closed. A request that asks to upgrade to anything else (`Upgrade: h2c`, as `curl --http2`
 * sends) is served as the plain HTTP/1.1 request it also is (RFC 9110 §7.8 lets a server ignore
 * Upgrade). Once the handshake is done, the socket belongs to the handler but is still counted
 * here, so that `close()` can end it after the grace period: a server does not finish closing while
 * an upgraded socket is open.
 */
function routeUpgrades(server: Server, hearth: Hearth, closing: () => boolean): Set<Duplex> {
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isWebSocketUpgrade(req)) {
      serveWithoutUpgrade(server, req, socket, head);
      return;
    }
    socket.on('error', () => socket.destroy()); // a reset mid-handshake is the client's business
    try {
      if (closing()) throw new ApiError(503, 'The server is restarting, please retry.');
      const handler = hearth.upgrades.find((req.url ?? '/').split('?', 1)[0]!);
      if (!handler) throw ApiError.notFound();
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      handler(req, socket, head);
    } catch (err) {
      const apiError = err instanceof ApiError ? err : ApiError.internal(err);
      if (apiError.status >= 500 && !(err instanceof ApiError)) {
        hearth.logger.error({ err, path: req.url }, 'upgrade failed');
      }
      refuseUpgrade(socket, apiError);
    }
  });
  return upgraded;
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '')
    .split(',')
    .some((protocol) => protocol.trim().toLowerCase() === 'websocket');
}

/** Hop-by-hop headers of an upgrade request that must not reach the plain request. */
const UPGRADE_HEADERS = new Set(['upgrade', 'http2-settings']);

/**
 * Once an 'upgrade' listener exists, Node hands it every request carrying `Connection: upgrade`,
 * whatever the protocol asked for, with its body unparsed (`head`, then the socket). Such a request
 * is given back to the server as the request it would have been without the Upgrade: its head is
 * rebuilt without the upgrade headers and put back in front of the unread bytes, and the socket
 * handed to the server as a new connection (the documented way to inject one), where the request
 * listener answers it — body, keep-alive and all — like any other.
 */
function serveWithoutUpgrade(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    let value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (UPGRADE_HEADERS.has(lower)) continue;
    if (lower === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== '' && !UPGRADE_HEADERS.has(token.toLowerCase()))
        .join(', ');
      if (value === '') continue;
    }
    lines.push(`${name}: ${value}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  server.emit('connection', socket);
}

/** Answers an upgrade request with PocketBase's error JSON (and the SECURITY_HEADERS) and closes it. */
function refuseUpgrade(socket: Duplex, error: ApiError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const headers: [string, string][] = [
    ['Content-Type', 'application/json'],
    ['Content-Length', String(Buffer.byteLength(body))],
    ['Connection', 'close'],
    ...SECURITY_HEADERS.map(([n, v]): [string, string] => [n, v]),
    ...Object.entries(error.headers).filter(([n]) => n.toLowerCase() !== 'connection'),
  ];
  const head = headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n${head}\r\n${body}`);
  setTimeout(() => socket.destroy(), 2000).unref(); // a client that never closes its end
}
