import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
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
 * Headers every response carries (QUALITY.md "http" row). Pages get their own CSP from SvelteKit
 * (kit.csp in svelte.config.js), which replaces the strict default set here for API and asset bytes.
 */
function setSecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  if (req.headers['x-forwarded-proto'] === 'https') {
    res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  }
}

function isApiPath(url: string | undefined): boolean {
  const path = (url ?? '/').split('?', 1)[0]!;
  return path === '/api' || path.startsWith('/api/');
}

/**
 * One node:http server, one port: `/api/…` goes to the Hono API, everything else to the SvelteKit
 * handler. Resolves once listening; rejects with a readable message when the port is taken.
 */
export function startServer(
  hearth: Hearth,
  options: { host: string; port: number; web?: WebHandler },
): Promise<RunningServer> {
  const api = getRequestListener(hearth.api.fetch);
  let closing = false;

  const server = createServer((req, res) => {
    setSecurityHeaders(req, res);
    // While shutting down, finish this request but do not keep its connection.
    if (closing) res.setHeader('Connection', 'close');
    if (isApiPath(req.url) || !options.web) {
      void api(req, res);
      return;
    }
    options.web(req, res, () => void api(req, res));
  });
  // Slow clients cannot hold sockets forever; long-lived streams (SSE) manage their own timeouts.
  server.headersTimeout = 20_000;
  server.requestTimeout = 0;
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
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
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
