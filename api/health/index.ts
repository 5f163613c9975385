import { skipSuccessLog, type ApiApp } from '../core/http';

const HEALTHY = { message: 'API is healthy.', code: 200, data: {} };

/**
 * GET|HEAD /api/health, answered as PocketBase does (Hono answers HEAD from the GET route). A load
 * balancer asks every few seconds: only failed checks go to the request log.
 */
export function register(app: ApiApp): void {
  app.get('/api/health', skipSuccessLog, (c) => c.json(HEALTHY));
}
