import { Writable } from 'node:stream';
import pino from 'pino';
import { SqliteError } from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { ApiError } from './errors';
import { createApiApp, readJsonBody } from './http';

function appWithLog(maxBodySize = 1024) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const app = createApiApp({ logger: pino({ level: 'info' }, stream), maxBodySize: () => maxBodySize });
  app.get('/api/boom', () => {
    throw new Error('database password is hunter2');
  });
  app.get('/api/full', () => {
    throw new SqliteError('database or disk is full', 'SQLITE_FULL');
  });
  app.get('/api/busy', () => {
    throw new SqliteError('database is locked', 'SQLITE_BUSY');
  });
  app.get('/api/teapot', () => {
    throw new ApiError(418, "i'm a teapot");
  });
  app.post('/api/echo', async (c) => c.json(await readJsonBody(c)));
  return { app, lines };
}

describe('API errors leave as PocketBase error JSON', () => {
  test('unknown path → 404', async () => {
    const { app } = appWithLog();
    const res = await app.request('/api/no/such/thing');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      status: 404,
      message: "The requested resource wasn't found.",
      data: {},
    });
  });

  test('an unexpected error → generic 500; the cause goes to the log only', async () => {
    const { app, lines } = appWithLog();
    const res = await app.request('/api/boom');
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      status: 500,
      message: 'Something went wrong while processing your request.',
      data: {},
    });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('at ');
    const logged = lines.find((l) => l['msg'] === 'request failed');
    expect(JSON.stringify(logged)).toContain('hunter2');
    expect(logged).toMatchObject({ level: 50, method: 'GET', path: '/api/boom' });
  });

  test('a full disk → 507 with a clear message', async () => {
    const res = await appWithLog().app.request('/api/full');
    expect(res.status).toBe(507);
    expect(await res.json()).toMatchObject({ status: 507, message: 'Not enough disk space to store this.' });
  });

  test('a lock held past busy_timeout → 503 with Retry-After, never a 500', async () => {
    const res = await appWithLog().app.request('/api/busy');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  test('an ApiError keeps its own status and sentenized message', async () => {
    const res = await appWithLog().app.request('/api/teapot');
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ status: 418, message: "I'm a teapot.", data: {} });
  });

  test.each([
    ['not json', '{"a":'],
    ['an array', '[1,2]'],
    ['a string', '"text"'],
    ['null', 'null'],
  ])('a body that is %s → 400', async (_name, body) => {
    const res = await appWithLog().app.request('/api/echo', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 400, data: {} });
  });
});

describe('body limit', () => {
  test('Content-Length over the limit → 413 with Connection: close, body never read', async () => {
    const { app } = appWithLog(1024);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(512));
      },
    });
    const res = await app.request('/api/echo', {
      method: 'POST',
      body,
      headers: { 'content-length': String(10 * 1024 * 1024 * 1024), 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual({ status: 413, message: 'Request entity too large.', data: {} });
    expect(pulled).toBeLessThanOrEqual(2); // the stream's own read-ahead, nothing consumed by us
  });

  test('a chunked body is cut off as soon as it passes the limit', async () => {
    const { app } = appWithLog(4096);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1000;
        controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        if (sent > 1_000_000) controller.close();
      },
    });
    const res = await app.request('/api/echo', {
      method: 'POST',
      body,
      headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(20_000);
  });

  test('a body under the limit passes through intact', async () => {
    const { app } = appWithLog(4096);
    const res = await app.request('/api/echo', {
      method: 'POST',
      body: JSON.stringify({ hello: 'world' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(await res.json()).toEqual({ hello: 'world' });
  });
});
