import { connect } from 'node:net';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { setMaxLifetimeMs } from '../../api/realtime/realtime.clients';
import { startSdkServer, unique, type SdkServer } from './server';

/**
 * The life of a realtime connection. QUALITY.md, realtime row: a subscriber that stops reading must
 * not make the server's memory grow (Hearth queues at most 1 MiB for a client, then drops it); a
 * stream ends once its maximum lifetime has passed; and a dropped or ended connection comes back on
 * its own with the SDK, subscriptions included.
 */
let s: SdkServer;
beforeAll(async () => {
  s = await startSdkServer();
});
afterAll(() => s.close());

/** Opens an SSE stream over a raw socket, reads the PB_CONNECT frame, then stops reading. */
function stalledStream(url: string): Promise<{ clientId: string; destroy: () => void }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let head = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      head += chunk;
      const m = /data:\{"clientId":"([\w-]+)"\}/.exec(head);
      if (!m) return;
      socket.pause(); // from here on nothing is read: the kernel buffers fill, then Hearth's queue
      socket.removeAllListeners('data');
      resolve({ clientId: m[1]!, destroy: () => socket.destroy() });
    });
    socket.write(
      `GET /api/realtime HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`,
    );
  });
}

test('a subscriber that stops reading is dropped once 1 MiB waits for it', { timeout: 60_000 }, async () => {
  const name = unique('flood');
  await s.admin.collections.create({ name, listRule: '', fields: [{ name: 'body', type: 'editor' }] });
  const stalled = await stalledStream(s.url);
  try {
    const subscribe = () =>
      fetch(`${s.url}/api/realtime`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: stalled.clientId, subscriptions: [`${name}/*`] }),
      });
    expect((await subscribe()).status).toBe(204);
    // 64 × 256 KiB: far more than socket buffers and the 1 MiB queue hold.
    const body = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 64; i++) await s.admin.collection(name).create({ body });
    // Dropped: the server no longer knows the client.
    expect((await subscribe()).status).toBe(404);
  } finally {
    stalled.destroy();
  }
});

test(
  'the SDK reconnects after the server closed its stream and keeps its subscriptions',
  { timeout: 30_000 },
  async () => {
    (globalThis as unknown as { EventSource: unknown }).EventSource = EventSource;
    const name = unique('again');
    await s.admin.collections.create({ name, listRule: '', fields: [{ name: 'title', type: 'text' }] });
    const pb = s.newClient();
    const seen: string[] = [];
    const unsubscribe = await pb.collection(name).subscribe('*', (e) => seen.push(String(e.record['title'])));
    try {
      await s.admin.collection(name).create({ title: 'before' });
      await expect.poll(() => seen, { timeout: 3000 }).toEqual(['before']);
      const firstId = pb.realtime.clientId;
      // What shutdown and the idle timeout do: every stream is ended by the server.
      s.hearth.bus.publish('ServerClosing', {});
      await expect
        .poll(() => pb.realtime.clientId !== firstId && pb.realtime.isConnected, { timeout: 10_000 })
        .toBe(true);
      await s.admin.collection(name).create({ title: 'after' });
      await expect.poll(() => seen, { timeout: 3000 }).toEqual(['before', 'after']);
    } finally {
      await unsubscribe();
    }
  },
);

/** `POST /api/realtime` for a client id: 204 while the server knows the client, 404 once it is gone. */
async function postStatus(clientId: string, subscriptions: string[] = []): Promise<number> {
  const res = await fetch(`${s.url}/api/realtime`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId, subscriptions }),
  });
  await res.arrayBuffer();
  return res.status;
}

test(
  'a stream ends cleanly once its maximum lifetime has passed; the SDK reconnects and keeps its subscriptions',
  { timeout: 30_000 },
  async () => {
    (globalThis as unknown as { EventSource: unknown }).EventSource = EventSource;
    const name = unique('lifetime');
    await s.admin.collections.create({ name, listRule: '', fields: [{ name: 'title', type: 'text' }] });
    const lifetime = 1500;
    setMaxLifetimeMs(lifetime);
    try {
      // A raw stream that is read to its end: ended by the server (a cut stream would make text()
      // reject) after 90–100 % of the lifetime, with nothing but PB_CONNECT in it.
      const opened = Date.now();
      const res = await fetch(`${s.url}/api/realtime`);
      const body = await res.text();
      const elapsed = Date.now() - opened;
      const rawId = /^id:(\S+)\n/.exec(body)?.[1] ?? '';
      expect(body).toBe(`id:${rawId}\nevent:PB_CONNECT\ndata:{"clientId":"${rawId}"}\n\n`);
      expect(elapsed).toBeGreaterThanOrEqual(0.9 * lifetime);
      expect(elapsed).toBeLessThan(lifetime + 5000);
      expect(await postStatus(rawId)).toBe(404);

      const pb = s.newClient();
      const seen: string[] = [];
      const unsubscribe = await pb
        .collection(name)
        .subscribe('*', (e) => seen.push(String(e.record['title'])));
      try {
        const firstId = pb.realtime.clientId;
        // Only the first stream is short-lived; the one the SDK opens next has the default lifetime.
        setMaxLifetimeMs();
        await s.admin.collection(name).create({ title: 'before' });
        await expect.poll(() => seen, { timeout: 3000 }).toEqual(['before']);
        await expect
          .poll(() => pb.realtime.clientId !== firstId && pb.realtime.isConnected, { timeout: 10_000 })
          .toBe(true);
        expect(await postStatus(firstId)).toBe(404);
        await s.admin.collection(name).create({ title: 'after' });
        await expect.poll(() => seen, { timeout: 3000 }).toEqual(['before', 'after']);
      } finally {
        await unsubscribe();
      }
    } finally {
      setMaxLifetimeMs();
    }
  },
);
