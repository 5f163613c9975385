import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { resolveBootstrap } from './core/config';
import { createHearth } from './main';

export interface DevApi {
  /** The API as a connect middleware. */
  listener: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /**
   * A WebSocket upgrade for a path a capability registered (meet signaling); false for any other,
   * which Vite keeps (its own HMR socket). A refused upgrade is closed.
   */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

/** The API for `npm run dev` (loaded by vite.config.ts). */
export function devApi(): DevApi {
  const hearth = createHearth(resolveBootstrap({ dev: true }));
  const link = hearth.setupLink('http://localhost:5173');
  if (link) hearth.logger.warn({ setupUrl: link }, 'no superuser yet: open the setup link to create one');
  return {
    listener: getRequestListener(hearth.api.fetch),
    upgrade(req, socket, head) {
      const handler = hearth.upgrades.find((req.url ?? '/').split('?', 1)[0]!);
      if (!handler) return false;
      try {
        handler(req, socket, head);
      } catch (err) {
        hearth.logger.warn({ err, path: req.url }, 'upgrade refused');
        socket.destroy();
      }
      return true;
    },
  };
}
