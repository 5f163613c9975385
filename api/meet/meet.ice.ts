import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { HearthSettings } from '../settings/registry';
import type { IceServer } from '../../web/lib/meet/protocol';

export type { IceServer };

/**
 * A time-limited TURN credential in the TURN REST API scheme (draft-uberti-behave-turn-rest-00),
 * which coturn checks with `use-auth-secret` + `static-auth-secret`: the username is
 * `<expiry in unix seconds>:<user>`, the password base64(HMAC-SHA1(secret, username)). coturn needs
 * no call back to Hearth and refuses the username once the expiry has passed.
 */
export function turnCredential(
  secret: string,
  user: string,
  ttlSeconds: number,
  now = Date.now(),
): { username: string; credential: string } {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * The host name of a Host header (`example.org:8090` → `example.org`, `[::1]:8090` → `[::1]`), or
 * null for anything that is not a plain name or address: it goes into a URL handed to browsers.
 */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    const ip = header.slice(1, end);
    return end > 0 && isIPv6(ip) && /^(?::\d{1,5})?$/.test(header.slice(end + 1)) ? `[${ip}]` : null;
  }
  const colon = header.indexOf(':');
  const name = colon === -1 ? header : header.slice(0, colon);
  if (colon !== -1 && !/^\d{1,5}$/.test(header.slice(colon + 1))) return null;
  return HOST_NAME.test(name) ? name.replace(/\.$/, '').toLowerCase() : null;
}

/**
 * The STUN server for one browser: the built-in listener on the host name the browser used (it
 * reached Hearth there, so it can reach the STUN port there too). Handed to anyone who knows a room
 * (GET /api/hearth/meet/ice): it holds no credential. It is listed whenever `meet.stun.enabled`,
 * also when the listener could not bind its port (api/cli/serve.ts logs that but does not expose
 * it): a browser then gets no answer from it and falls back to TURN or its host candidates.
 */
export function stunServers(settings: HearthSettings, host: string | null): IceServer[] {
  if (!settings.get('meet.stun.enabled') || !host) return [];
  return [{ urls: `stun:${host}:${settings.get('meet.stun.port')}` }];
}

/**
 * The configured TURN servers with a credential for `user`, when a secret is set (without one,
 * coturn would refuse them). They go only to seated peers, in `welcome`: a TURN relay costs
 * bandwidth, so people refused by a password, members-only, the lobby or a host never get one.
 */
export function turnServers(settings: HearthSettings, user: string): IceServer[] {
  const urls = settings.get('meet.turn.urls');
  const secret = settings.get('meet.turn.secret');
  if (urls.length === 0 || secret === '') return [];
  return [{ urls: [...urls], ...turnCredential(secret, user, settings.get('meet.turn.ttl')) }];
}
