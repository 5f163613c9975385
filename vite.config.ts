import { sveltekit } from '@sveltejs/kit/vite';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * `npm run dev`: the same API, mounted into Vite's dev server as middleware, on ./hearth_data in
 * dev mode. Production uses Hearth's own server (api/server.ts) instead.
 */
function hearthApi(): Plugin {
  return {
    name: 'hearth-api',
    apply: 'serve',
    async configureServer(server) {
      if (process.env['VITEST']) return;
      const mod = (await server.ssrLoadModule('/api/dev.ts')) as typeof import('./api/dev');
      const api = mod.devApi();
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '/').split('?', 1)[0]!;
        if (path === '/api' || path.startsWith('/api/')) void api.listener(req, res);
        else next();
      });
      // Meet's signaling WebSocket; every other upgrade (Vite's HMR) stays Vite's.
      server.httpServer?.on('upgrade', (req, socket, head) => void api.upgrade(req, socket, head));
    },
  };
}

export default defineConfig({
  plugins: [sveltekit(), hearthApi()],
  test: {
    include: ['api/**/*.test.ts', 'web/**/*.test.ts', 'tests/**/*.test.ts'],
    environment: 'node',
    // Installs the Debian packages whose clients the tests drive (coturn), as the e2e setup does Chromium.
    globalSetup: ['tests/support/vitest-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
