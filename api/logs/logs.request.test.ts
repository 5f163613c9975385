import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ApiError } from '../core/errors';
import { createApiApp, readJsonBody } from '../core/http';
import { silentLogger } from '../core/logger';
import type { HearthSettings } from '../settings/registry';
import { redactUrl, requestLogger } from './logs.request';
import { Logs } from './logs.service';

describe('redactUrl', () => {
  test.each([
    ['/api/health', '/api/health'],
    ['/api/files/c/r/a.png?token=eyJhbGciOi.x.y', '/api/files/c/r/a.png?token=[redacted]'],
    [
      '/api/files/c/r/a.png?thumb=100x100&token=abc&download=1',
      '/api/files/c/r/a.png?thumb=100x100&token=[redacted]&download=1',
    ],
    [
      '/api/oauth2-redirect?code=4%2F0Ab&state=xyz&scope=email',
      '/api/oauth2-redirect?code=[redacted]&state=[redacted]&scope=email',
    ],
    // Names compared in any case, with - and _ left out, percent-decoded.
    [
      '/x?TOKEN=a&Access_Token=b&id-token=c&api_key=d&to%6Ben=e',
      '/x?TOKEN=[redacted]&Access_Token=[redacted]&id-token=[redacted]&api_key=[redacted]&to%6Ben=[redacted]',
    ],
    ['/x?password&secret=', '/x?password=[redacted]&secret=[redacted]'],
    ['/x?filter=token%3D1&sort=-created', '/x?filter=token%3D1&sort=-created'],
    ['/x?tokens=1&mytoken=2', '/x?tokens=1&mytoken=2'],
    [
      'https://h.example/auth/reset-password?token=abc#top',
      'https://h.example/auth/reset-password?token=[redacted]#top',
    ],
    ['/x?%zz=1&token=2', '/x?%zz=1&token=[redacted]'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('the middleware, in-process (createApiApp with it outermost)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-logs-request-'));
  const values: Record<string, unknown> = {
    'logs.maxDays': 5,
    'logs.minLevel': 0,
    'logs.logIP': true,
    'logs.logAuthId': false,
    'trustedProxy.headers': [],
    'trustedProxy.useLeftmostIP': false,
  };
  // Only the keys above are read; a whole settings store is not needed for that.
  const settings = { get: (key: string) => values[key] } as unknown as HearthSettings;
  const logs = Logs.open(dir, { settings, logger: silentLogger() });
  const app = createApiApp({
    logger: silentLogger(),
    maxBodySize: () => 1024,
    outermost: [requestLogger(logs, settings)],
  });
  app.get('/api/ok', (c) => c.json({ ok: true }));
  app.get('/api/boom', () => {
    throw new TypeError('cannot read x of undefined');
  });
  app.get('/api/internal', () => {
    throw ApiError.internal(new RangeError('index 7 out of range'));
  });
  app.get('/api/odd', () => {
    throw 'not an Error';
  });
  app.post('/api/echo', async (c) => c.json(await readJsonBody(c)));

  afterAll(() => {
    logs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const last = () => {
    logs.flush();
    const [row] = logs.store.list(null, 'rowid DESC', 1, 0);
    return { ...row!, data: JSON.parse(row!.data) as Record<string, unknown> };
  };

  test('a success: INFO; no connection, so no addresses', async () => {
    expect((await app.request('/api/ok?a=1')).status).toBe(200);
    expect(last()).toMatchObject({
      level: 0,
      message: 'GET /api/ok?a=1',
      data: { type: 'request', url: '/api/ok?a=1', status: 200, auth: '', userIP: '', remoteIP: '' },
    });
  });

  test('a handler that throws: 500 to the client, ERROR with the cause in the log', async () => {
    const res = await app.request('/api/boom');
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('undefined');
    expect(last()).toMatchObject({ level: 8, data: { status: 500, error: 'cannot read x of undefined' } });
    expect((await app.request('/api/internal')).status).toBe(500);
    expect(last()).toMatchObject({
      level: 8,
      data: { status: 500, details: 'RangeError: index 7 out of range' },
    });
  });

  test('a throw that is not an Error still gets its entry', async () => {
    await expect(app.request('/api/odd')).rejects.toBe('not an Error');
    expect(last()).toMatchObject({ level: 8, data: { status: 500, error: 'not an Error' } });
  });

  test('413 from the body limit, which runs inside it', async () => {
    const res = await app.request('/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '5000' },
      body: 'x'.repeat(5000),
    });
    expect(res.status).toBe(413);
    expect(last()).toMatchObject({ level: 8, message: 'POST /api/echo', data: { status: 413 } });
  });
});
