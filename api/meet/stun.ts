import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../core/logger';
import { answerStun } from './stun.message';
import { STUN_RATE_LIMIT, StunRateLimiter, type StunRateLimit } from './stun.ratelimit';

/**
 * The built-in STUN server (RFC 8489, which obsoletes RFC 5389; both read the same on the wire): it
 * answers Binding requests over UDP so that browsers learn their public address (server-reflexive ICE
 * candidates) without a third-party STUN server. It holds no credentials and relays nothing: TURN is
 * coturn's job. Everything that is not a well-formed Binding request is dropped without an answer,
 * and answers are rate-limited per source, so a spoofed source address gets next to nothing.
 *
 * The messages are in stun.message.ts, the per-source limit in stun.ratelimit.ts.
 */

export interface StunOptions {
  /** An IP address or a host name to bind; '0.0.0.0' or '::' for every interface. */
  host: string;
  /** 0: any free port. */
  port: number;
  logger: Logger;
  /** The SOFTWARE attribute, when the answer has room for it (see answerStun). */
  software?: string;
  rateLimit?: Partial<StunRateLimit>;
}

export interface StunListener {
  readonly host: string;
  readonly port: number;
  /** Stops answering and frees the port; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Binds the STUN listener and resolves once it is answering; rejects when it cannot bind (port in
 * use, no permission, no such address), leaving nothing open.
 */
export async function startStun(options: StunOptions): Promise<StunListener> {
  const literal = isIP(options.host);
  const { address, family } = literal
    ? { address: options.host, family: literal }
    : await lookup(options.host);
  const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
  await bindSocket(socket, address, options.port);

  const limiter = new StunRateLimiter({ ...STUN_RATE_LIMIT, ...options.rateLimit });
  const software = options.software ?? 'Hearth';
  socket.on('error', (err) => options.logger.warn({ err }, 'STUN socket error'));
  socket.on('message', (datagram, from) => {
    const answer = answerStun(datagram, from, { software });
    if (!answer || !limiter.allow(from.address)) return;
    // A send that fails (an unreachable or bogus source) concerns that datagram only.
    socket.send(answer, from.port, from.address, () => undefined);
  });

  const bound = socket.address();
  const where =
    bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  options.logger.info({ host: bound.address, port: bound.port }, `STUN listening on udp ${where}`);
  let closing: Promise<void> | undefined;
  return {
    host: bound.address,
    port: bound.port,
    close: () => (closing ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}

function bindSocket(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      try {
        socket.close();
      } catch {
        // already closed by the failed bind
      }
      reject(err);
    };
    socket.once('error', fail);
    socket.bind({ address, port }, () => {
      socket.off('error', fail);
      resolve();
    });
  });
}
