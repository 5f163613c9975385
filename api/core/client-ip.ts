import { isIP } from 'node:net';
import type { AppEnv, ApiContext } from './http';

/**
 * The client's IP address, as PocketBase's RealIP (core/event_request.go): the connection's address,
 * unless one of the `trustedProxy.headers` is present. Then the first configured header present
 * wins; of its last line, split at commas, the rightmost valid IP (the one the proxy itself added),
 * or the leftmost with `useLeftmostIP`. A header with no valid IP in it is passed over; with none, the
 * socket's address. IPv4-mapped addresses (`::ffff:1.2.3.4`) are given as IPv4.
 *
 * Undefined for in-process requests (`app.request()`), which have no connection: they have no client.
 *
 * Trust a header only when every request comes through a proxy that sets it: anyone who can reach
 * Hearth directly may send any X-Forwarded-For.
 */
export function clientIp(
  c: ApiContext,
  headers: readonly string[],
  useLeftmostIP: boolean,
): string | undefined {
  const incoming = (c.env as AppEnv['Bindings'] | undefined)?.incoming;
  const socket = incoming?.socket.remoteAddress;
  if (!incoming || !socket) return undefined;
  if (headers.length === 0) return normaliseIp(socket);
  return resolveClientIp(socket, incoming.rawHeaders, headers, useLeftmostIP);
}

/**
 * clientIp over Node's raw headers (`[name, value, name, value, …]`, every line as received), so
 * that, as in PocketBase, only the last line of a repeated header counts.
 */
export function resolveClientIp(
  socketAddress: string,
  rawHeaders: readonly string[],
  headers: readonly string[],
  useLeftmostIP: boolean,
): string {
  for (const header of headers) {
    const value = lastHeaderLine(rawHeaders, header);
    if (!value) continue;
    const ip = pickIp(value, useLeftmostIP);
    if (ip !== undefined) return ip;
  }
  return normaliseIp(socketAddress);
}

/** The value of the last line of a header (names compared case-insensitively), or undefined. */
function lastHeaderLine(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = rawHeaders.length - 2; i >= 0; i -= 2) {
    const raw = rawHeaders[i]!;
    if (raw.length === name.length && raw.toLowerCase() === name.toLowerCase()) return rawHeaders[i + 1];
  }
  return undefined;
}

/** The rightmost (or leftmost) entry of a comma-separated list that is an IP address. */
function pickIp(list: string, leftmost: boolean): string | undefined {
  const parts = list.split(',');
  if (leftmost) {
    for (const part of parts) {
      const ip = part.trim();
      if (isIP(ip) !== 0) return normaliseIp(ip);
    }
  } else {
    for (let i = parts.length - 1; i >= 0; i--) {
      const ip = parts[i]!.trim();
      if (isIP(ip) !== 0) return normaliseIp(ip);
    }
  }
  return undefined;
}

/** `::ffff:1.2.3.4` (an IPv4 client of a dual-stack socket) → `1.2.3.4`; anything else as it is. */
export function normaliseIp(address: string): string {
  if (address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:' && address.includes('.')) {
    return address.slice(7);
  }
  return address;
}
