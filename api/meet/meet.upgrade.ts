import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { resolveClientIp } from '../core/client-ip';
import { ApiError } from '../core/errors';
import type { Deps, UpgradeHandler } from '../main';
import { clientKey } from '../ratelimit/ratelimit.windows';
import { CLOSE, isRoomName, MAX_MESSAGE_BYTES, type ServerMessage } from '../../web/lib/meet/protocol';
import type { Rooms } from './meet.rooms';
import { Session, type SignalingContext } from './meet.signaling';

export const SIGNALING_PREFIX = '/api/hearth/meet/';

/** Open sockets per client address, over all rooms. */
const SOCKETS_PER_ADDRESS = 32;
/**
 * Sockets of one room that have not joined yet (no `join`, or one still being checked). Joined
 * sockets are bounded by the seats (maxPeers + HOST_SEATS_EXTRA) and the lobby (20), and are not
 * counted here, so nobody can fill a room's allowance with idle sockets and keep a host out:
 * an unjoined socket is closed after 10 s, and one address holds at most PENDING_PER_ADDRESS of them
 * per room (with `rateLimits.enabled`, like the other per-address limits).
 */
const PENDING_PER_ROOM = 48;
const PENDING_PER_ADDRESS = 3;

/**
 * The WebSocket at `/api/hearth/meet/<room>`. Before the handshake: the path must name a room,
 * the Origin must be this server's (a page elsewhere must not open a socket with the visitor's
 * network position — cross-site WebSocket hijacking), and the client must be within its
 * connection rate and socket caps; otherwise an HTTP error, no socket. After it, an unknown room is
 * told so over the socket (`unknown-room`, 4404), since a browser cannot read a refused handshake.
 */
export function signalingUpgrade(
  deps: Deps,
  rooms: Rooms,
  ctx: SignalingContext,
  sessions: Set<Session>,
  /** Starts the heartbeats (they run while some socket is open). */
  heartbeat: () => void,
): UpgradeHandler {
  // maxPayload: ws closes a bigger frame with 1009 before buffering it. No compression: it would
  // let a small frame inflate to much more than the cap checks (and costs memory per socket).
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false, // the sessions are meet's own set
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const perAddress = new Map<string, number>();

  return (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?', 1)[0]!;
    const name = path.slice(SIGNALING_PREFIX.length).toLowerCase();
    if (!isRoomName(name)) throw ApiError.notFound();
    if (!sameOrigin(req, deps.settings.get('trustedProxy.headers').length > 0)) {
      throw ApiError.forbidden('Cross-origin WebSocket connections are not allowed.');
    }
    const address = resolveClientIp(
      req.socket.remoteAddress ?? '',
      req.rawHeaders,
      deps.settings.get('trustedProxy.headers'),
      deps.settings.get('trustedProxy.useLeftmostIP'),
    );
    const { wait } = ctx.limiter.take('connect', address);
    if (wait > 0) {
      throw new ApiError(429, '', { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } });
    }
    const client = clientKey(address);
    const room = rooms.get(name);
    const perAddressCap = deps.settings.get('rateLimits.enabled');
    if (
      (perAddress.get(client) ?? 0) >= SOCKETS_PER_ADDRESS ||
      (room &&
        (room.pending >= PENDING_PER_ROOM ||
          (perAddressCap && (room.pendingBy.get(client) ?? 0) >= PENDING_PER_ADDRESS)))
    ) {
      throw new ApiError(429, 'Too many connections.');
    }

    wss.handleUpgrade(req, socket, head, (ws) => {
      perAddress.set(client, (perAddress.get(client) ?? 0) + 1);
      const forget = () => {
        const left = (perAddress.get(client) ?? 1) - 1;
        if (left > 0) perAddress.set(client, left);
        else perAddress.delete(client);
      };
      const live = rooms.get(name);
      if (!live) {
        ws.on('error', () => {});
        ws.once('close', forget);
        const refusal: ServerMessage = {
          type: 'error',
          code: 'unknown-room',
          message: 'There is no such meeting.',
        };
        ws.send(JSON.stringify(refusal));
        ws.close(CLOSE.unknownRoom, 'unknown-room');
        return;
      }
      live.pending += 1;
      live.pendingBy.set(client, (live.pendingBy.get(client) ?? 0) + 1);
      let pending = true;
      const settled = () => {
        if (!pending) return;
        pending = false;
        live.pending -= 1;
        const left = (live.pendingBy.get(client) ?? 1) - 1;
        if (left > 0) live.pendingBy.set(client, left);
        else live.pendingBy.delete(client);
      };
      const session = new Session(ws, live, address, ctx, settled);
      sessions.add(session);
      heartbeat();
      ws.once('close', (code: number) => {
        forget();
        settled();
        sessions.delete(session);
        session.closed(code);
      });
    });
  };
}

/**
 * Whether the page that opened the socket is one of this server's: its Origin names the host the
 * request was sent to (the Host header; or X-Forwarded-Host when a reverse proxy is trusted, see
 * `trustedProxy.headers`). The scheme may differ (TLS ends at a proxy); a Host without a port
 * matches only an Origin on its scheme's default port (http 80, https 443). No Origin means no browser: a CSWSH needs one, and other
 * clients could send any Origin anyway.
 */
export function sameOrigin(req: IncomingMessage, trustProxy: boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `null` (sandboxed frames, file: pages) included
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const hosts = [req.headers.host, ...(typeof forwarded === 'string' ? forwarded.split(',') : [])];
  return hosts.some((header) => {
    const host = parseHost(header?.trim());
    if (host === null || host.name !== url.hostname.toLowerCase()) return false;
    // URL leaves `port` empty for the scheme's default one.
    return host.port === null ? url.port === '' : host.port === port;
  });
}

function parseHost(header: string | undefined): { name: string; port: string | null } | null {
  if (!header) return null;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+?)\.?(?::(\d{1,5}))?$/i.exec(header);
  return match ? { name: match[1]!.toLowerCase(), port: match[2] ?? null } : null;
}
