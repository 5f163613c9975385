import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../api/core/logger';
import { createHearth, type Hearth } from '../../api/main';
import { startServer, type RunningServer, type WebHandler } from '../../api/server';
import { testHearth, type TestHearth } from '../../api/testing/hearth';

// `dashboard.<domain>`: every page outside the admin console (/_/) is redirected to it; the
// console's assets and the API stay reachable; other hosts are untouched.

/** Stands in for the SvelteKit handler: says that it answered, and for which path. */
const web: WebHandler = (req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`web ${req.url}`);
};

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
  headers: Record<string, unknown>;
}

/** One request with the Host header a browser would send (fetch cannot set it). */
function ask(url: string, host: string, method = 'GET', path = '/'): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location, body, headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('with --domain example.com', () => {
  let dir: string;
  let hearth: Hearth;
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-dashboard-'));
    hearth = createHearth(
      { host: '127.0.0.1', port: 0, dir, domain: 'example.com', dev: false },
      { logger: silentLogger() },
    );
    server = await startServer(hearth, { host: '127.0.0.1', port: 0, web });
  });
  afterAll(async () => {
    await server?.close(1000);
    await hearth?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const redirected: [string, string, string][] = [
    ['dashboard.example.com', 'GET', '/'],
    ['dashboard.example.com:8090', 'GET', '/account?tab=email'],
    ['dashboard.example.com:443', 'GET', '/setupx'],
    ['DASHBOARD.Example.COM', 'GET', '/anything/deeper'],
    ['dashboard.example.com.', 'GET', '/'],
    ['dashboard.example.com', 'HEAD', '/auth/sign-in'],
    ['dashboard.example.com', 'GET', '/_x/'],
    ['dashboard.example.com', 'GET', '/apiary'],
  ];
  test.each(redirected)('%s %s %s → 302 /_/', async (host, method, path) => {
    const res = await ask(server.url, host, method, path);
    expect(res.status).toBe(302);
    expect(res.location).toBe('/_/');
    expect(res.body).toBe('');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  const passed: [string, string, string, string][] = [
    ['dashboard.example.com', 'GET', '/_/', 'web /_/'],
    // SvelteKit sends /_/ on to /_ (trailingSlash 'never'): sending it back would loop.
    ['dashboard.example.com', 'GET', '/_', 'web /_'],
    ['dashboard.example.com', 'GET', '/_?next=x', 'web /_?next=x'],
    ['dashboard.example.com', 'GET', '/_/collections/posts?page=2', 'web /_/collections/posts?page=2'],
    ['dashboard.example.com', 'GET', '/_app/immutable/entry/start.js', 'web /_app/immutable/entry/start.js'],
    ['dashboard.example.com', 'GET', '/favicon.svg', 'web /favicon.svg'],
    ['dashboard.example.com', 'GET', '/robots.txt', 'web /robots.txt'],
    // The console links to first-run setup while there is no superuser.
    ['dashboard.example.com:443', 'GET', '/setup', 'web /setup'],
    ['dashboard.example.com', 'POST', '/account', 'web /account'],
    ['example.com', 'GET', '/', 'web /'],
    ['www.example.com', 'GET', '/account', 'web /account'],
    ['dashboard.example.com.evil.test', 'GET', '/', 'web /'],
    ['xdashboard.example.com', 'GET', '/', 'web /'],
    ['dashboard.example.org', 'GET', '/', 'web /'],
    ['dashboard.localhost', 'GET', '/', 'web /'],
    ['127.0.0.1', 'GET', '/', 'web /'],
  ];
  test.each(passed)('%s %s %s is not redirected', async (host, method, path, body) => {
    const res = await ask(server.url, host, method, path);
    expect(res.status).toBe(200);
    expect(res.body).toBe(body);
  });

  test('the API answers on the dashboard host', async () => {
    const res = await ask(server.url, 'dashboard.example.com', 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ code: 200, message: 'API is healthy.' });
    const missing = await ask(server.url, 'dashboard.example.com', 'GET', '/api/hearth/migrations');
    expect(missing.status).toBe(401);
  });
});

describe('with the default domain (localhost)', () => {
  let hearth: TestHearth;
  let server: RunningServer;
  beforeAll(async () => {
    hearth = testHearth();
    server = await startServer(hearth, { host: '127.0.0.1', port: 0, web });
  });
  afterAll(async () => {
    await server?.close(1000);
    await hearth?.cleanup();
  });

  test('dashboard.localhost on any port goes to the console', async () => {
    const port = new URL(server.url).port;
    for (const host of ['dashboard.localhost', `dashboard.localhost:${port}`]) {
      const res = await ask(server.url, host, 'GET', '/account');
      expect(res.status, host).toBe(302);
      expect(res.location, host).toBe('/_/');
    }
  });

  test('localhost and 127.0.0.1 are served as before', async () => {
    for (const host of ['localhost', `localhost:8090`, '127.0.0.1:8090']) {
      const res = await ask(server.url, host, 'GET', '/account');
      expect(res.status, host).toBe(200);
      expect(res.body, host).toBe('web /account');
    }
  });
});
