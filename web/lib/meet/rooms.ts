import { api } from '$lib/api/client';
import type { IceServer, RoomInfo } from './protocol';

/**
 * Meet's HTTP side (docs/meet.md): making a room, reading its public facts and the STUN servers, and
 * what this browser remembers about rooms — the host keys of rooms it made (only their SHA-256 is on
 * the server, so losing the key here loses the host role) and the name last joined under.
 */

export interface RoomOptions {
  password?: string;
  lobby?: boolean;
  membersOnly?: boolean;
}

export interface CreatedRoom {
  name: string;
  hostKey: string;
}

export async function createRoom(options: RoomOptions): Promise<CreatedRoom> {
  const room = await api().send<CreatedRoom>('/api/hearth/meet/rooms', {
    method: 'POST',
    body: options,
    requestKey: null,
  });
  hostKeys.set(room.name, room.hostKey);
  return room;
}

/** The room's public facts; the SDK's ClientResponseError with status 404 when there is no such room. */
export function roomInfo(name: string): Promise<RoomInfo> {
  return api().send<RoomInfo>(`/api/hearth/meet/rooms/${encodeURIComponent(name)}`, { requestKey: null });
}

/** STUN servers (TURN ones, with their credential, come in `welcome`). */
export async function stunServers(name: string): Promise<IceServer[]> {
  const res = await api().send<{ iceServers: IceServer[] }>('/api/hearth/meet/ice', {
    query: { room: name },
    requestKey: null,
  });
  return res.iceServers;
}

/** `ws(s)://` URL of a room's signaling socket on the page's own origin. */
export function signalingUrl(location: Pick<Location, 'protocol' | 'host'>, name: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/hearth/meet/${encodeURIComponent(name)}`;
}

const HOST_KEY_PREFIX = 'hearth.meet.hostKey.';
const NAME_KEY = 'hearth.meet.name';
/** Rooms end within 24 hours: keys older than that are of no use and are dropped. */
const HOST_KEY_TTL_MS = 24 * 60 * 60 * 1000;

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (some private modes): nothing is remembered
  }
}

export const hostKeys = {
  get(room: string): string | undefined {
    const raw = storage()?.getItem(HOST_KEY_PREFIX + room);
    if (!raw) return undefined;
    try {
      const { key, at } = JSON.parse(raw) as { key?: unknown; at?: unknown };
      if (typeof key === 'string' && typeof at === 'number' && Date.now() - at < HOST_KEY_TTL_MS) return key;
    } catch {
      // fall through: an unreadable entry is dropped
    }
    storage()?.removeItem(HOST_KEY_PREFIX + room);
    return undefined;
  },
  set(room: string, key: string): void {
    const store = storage();
    if (!store) return;
    // Forget the expired keys of other rooms while here.
    for (let i = store.length - 1; i >= 0; i--) {
      const k = store.key(i);
      if (k?.startsWith(HOST_KEY_PREFIX) && k !== HOST_KEY_PREFIX + room)
        hostKeys.get(k.slice(HOST_KEY_PREFIX.length));
    }
    store.setItem(HOST_KEY_PREFIX + room, JSON.stringify({ key, at: Date.now() }));
  },
};

export const displayNames = {
  get(): string {
    return storage()?.getItem(NAME_KEY) ?? '';
  },
  set(name: string): void {
    storage()?.setItem(NAME_KEY, name);
  },
};
