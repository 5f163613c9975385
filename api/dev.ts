import { getRequestListener } from '@hono/node-server';
import { resolveBootstrap } from './core/config';
import { createHearth } from './main';

/** The API as a connect middleware for `npm run dev` (loaded by vite.config.ts). */
export function devApi(): ReturnType<typeof getRequestListener> {
  const hearth = createHearth(resolveBootstrap({ dev: true }));
  const link = hearth.setupLink('http://localhost:5173');
  if (link) hearth.logger.warn({ setupUrl: link }, 'no superuser yet: open the setup link to create one');
  return getRequestListener(hearth.api.fetch);
}
