import { connect } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSdkServer, unique, type SdkServer } from './server';

/**
 * QUALITY.md, realtime row: a subscriber that stops reading must not make the server's memory grow.
 * Hearth queues at most 1 MiB for a client and then drops it; the client id is gone afterwards.
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
