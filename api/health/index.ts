import type { ApiApp } from '../core/http';

const HEALTHY = { message: 'API is healthy.', code: 200, data: {} };

/** GET|HEAD /api/health, answered as PocketBase does (Hono answers HEAD from the GET route). */
export function register(app: ApiApp): void {
  app.get('/api/health', (c) => c.json(HEALTHY));
}
