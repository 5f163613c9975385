import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUNDLE, removeDir, runCli, startHearth, tempDir, type HearthProcess } from '../support/hearth.js';

/** Sends raw bytes and collects the raw answer until the server closes the socket (or `ms` pass). */
function rawExchange(
  url: string,
  head: string,
  feed: (write: (b: Buffer | string) => boolean) => void,
  ms = 5000,
) {
  const { hostname, port } = new URL(url);
  return new Promise<{ response: string; closed: boolean; written: number }>((resolve) => {
    const socket = connect(Number(port), hostname);
    let response = '';
    let written = 0;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ response, closed, written });
    };
    socket.on('data', (d) => (response += d));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    setTimeout(() => finish(false), ms);
    socket.on('connect', () => {
      socket.write(head);
      feed((b) => {
        if (socket.destroyed || done) return false;
        written += Buffer.byteLength(b);
        return socket.write(b);
      });
    });
  });
}

/** Offers up to 1 GiB, writing as fast as the socket takes it, until the server hangs up. */
function keepWriting(write: (b: Buffer) => boolean, chunk: Buffer): void {
  let sent = 0;
  const pump = () => {
    while (sent < 1024 ** 3) {
      sent += chunk.length;
      if (!write(chunk)) return void setTimeout(pump, 1);
    }
  };
  pump();
}

describe('a running server', () => {
  let hearth: HearthProcess;
  beforeAll(async () => {
    hearth = await startHearth();
  });
  afterAll(async () => {
    await hearth.stop();
    removeDir(hearth.dir);
  });

  test('GET /api/health answers as PocketBase, with the security headers', async () => {
    const res = await fetch(`${hearth.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"message":"API is healthy.","code":200,"data":{}}');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const head = await fetch(`${hearth.url}/api/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  test('HSTS is sent when a TLS proxy forwards the request', async () => {
    const res = await fetch(`${hearth.url}/api/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect((await fetch(`${hearth.url}/api/health`)).headers.get('strict-transport-security')).toBeNull();
  });

  test('unknown /api paths answer PocketBase error JSON; other paths go to the web app', async () => {
    const api = await fetch(`${hearth.url}/api/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({
      status: 404,
      message: "The requested resource wasn't found.",
      data: {},
    });
    const page = await fetch(`${hearth.url}/no-such-page`, { headers: { 'accept-language': 'de' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Seite nicht gefunden');
  });

  test('the home page is rendered in the language the browser asks for, with a page CSP', async () => {
    const de = await fetch(`${hearth.url}/`, { headers: { 'accept-language': 'de-DE,de;q=0.9' } });
    const html = await de.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('Willkommen bei Hearth');
    expect(de.headers.get('content-security-policy')).toMatch(/script-src 'self' 'nonce-/);
    const en = await (
      await fetch(`${hearth.url}/`, { headers: { cookie: 'hearth_lang=en', 'accept-language': 'de' } })
    ).text();
    expect(en).toContain('Welcome to Hearth');
  });

  test('prints the first-run setup link on the console only, never into the log stream', () => {
    expect(hearth.setupUrl).toMatch(new RegExp(`^${hearth.url}/setup#[A-Za-z0-9_-]{32}$`));
    expect(hearth.stderr()).toContain(`Create the first superuser: ${hearth.setupUrl}`);
    const code = hearth.setupUrl!.split('#')[1]!;
    expect(hearth.stdout()).not.toContain(code);
    expect(hearth.stdout()).toContain('no superuser yet');
  });

  test('GET|PATCH /api/settings through the official SDK, applied at once', async () => {
    const cli = await runCli([
      'superuser',
      'upsert',
      'root@example.com',
      'root long password',
      '--dir',
      hearth.dir,
    ]);
    expect(cli.code).toBe(0);
    const pb = new PocketBase(hearth.url);
    await pb.collection('_superusers').authWithPassword('root@example.com', 'root long password');
    const before = (await pb.settings.getAll()) as { meta: { appName: string } };
    expect(before.meta.appName).toBe('Hearth');
    const after = (await pb.settings.update({ http: { maxBodySize: 4096 } })) as {
      http: { maxBodySize: number };
    };
    expect(after.http.maxBodySize).toBe(4096);
    await expect(pb.settings.update({ http: { maxBodySize: 'big' } })).rejects.toMatchObject({ status: 400 });
    const big = await fetch(`${hearth.url}/api/collections/_superusers/auth-with-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'x', password: 'y'.repeat(8000) }),
    });
    expect(big.status).toBe(413);
    await pb.settings.update({ http: { maxBodySize: 33554432 } });
  });

  test('a body over the limit with Content-Length → 413 at once, connection closed, rest never read', async () => {
    const path = '/api/collections/_superusers/records';
    const { response, closed, written } = await rawExchange(
      hearth.url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n`,
      (write) => keepWriting(write, Buffer.alloc(64 * 1024, 0x20)),
      15000,
    );
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"status":413');
    expect(closed).toBe(true);
    // 10 GiB were announced and offered; the server hung up after what sat in socket buffers.
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  test('a client uploading too much reads the 413, not a connection reset (lingering close)', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${hearth.url}/api/collections/_superusers/auth-with-password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(40 * 1024 * 1024, 0x20),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ status: 413, message: 'Request entity too large.', data: {} });
    }
  });

  test('a chunked body is refused once it passes the limit, without reading it all', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    const { response, closed, written } = await rawExchange(
      hearth.url,
      'POST /api/collections/_superusers/auth-with-password HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      (write) => keepWriting(write, frame),
      15000,
    );
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
    // 32 MiB default limit plus what sat in socket buffers; far from the gigabyte offered.
    expect(written).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('shutdown', () => {
  test('SIGTERM ends open realtime streams at once instead of waiting for the drain timeout', async () => {
    const hearth = await startHearth();
    try {
      const res = await fetch(`${hearth.url}/api/realtime`);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/^id:[\w-]+\nevent:PB_CONNECT\ndata:\{"clientId":"[\w-]+"\}\n\n$/);
      const started = Date.now();
      const code = await hearth.stop('SIGTERM');
      expect(code).toBe(0);
      // The drain allows 10 s; an SSE stream left open would take all of it.
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await reader.read()).done).toBe(true);
    } finally {
      await hearth.kill();
    }
  });

  test('SIGTERM lets an in-flight request finish, checkpoints the WAL and exits 0', async () => {
    const hearth = await startHearth();
    try {
      const body = JSON.stringify({ identity: 'nobody@example.com', password: 'whatever password' });
      const half = Math.floor(body.length / 2);
      const exchange = rawExchange(
        hearth.url,
        `POST /api/collections/_superusers/auth-with-password HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        (write) => {
          write(body.slice(0, half));
          setTimeout(() => {
            hearth.proc.kill('SIGTERM');
            setTimeout(() => write(body.slice(half)), 400);
          }, 200);
        },
        10000,
      );
      const { response } = await exchange;
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(response).toContain('Failed to authenticate.');
      expect(await hearth.stop()).toBe(0);
      expect(hearth.stdout()).toContain('stopped; WAL checkpointed');
      const wal = join(hearth.dir, 'data.db-wal');
      expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    } finally {
      await hearth.kill();
      removeDir(hearth.dir);
    }
  });

  test('SIGINT stops cleanly too', async () => {
    const hearth = await startHearth();
    try {
      expect(await hearth.stop('SIGINT')).toBe(0);
    } finally {
      removeDir(hearth.dir);
    }
  });
});

describe('bootstrap from the environment and dev mode', () => {
  test('HEARTH_HTTP and HEARTH_DIR are used when no flags are given', async () => {
    const hearth = await startHearth({ viaEnv: true });
    try {
      expect((await fetch(`${hearth.url}/api/health`)).status).toBe(200);
      expect(hearth.stdout()).toContain(`"dir":"${hearth.dir}"`);
      expect(existsSync(join(hearth.dir, 'data.db'))).toBe(true);
    } finally {
      await hearth.stop();
      removeDir(hearth.dir);
    }
  });

  test('--dev prints readable log lines instead of JSON', async () => {
    const dir = tempDir();
    const proc = spawn(process.execPath, [BUNDLE, 'serve', '--dev', '--http', '127.0.0.1:0', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20000);
        proc.stdout.on('data', (d) => {
          out += d;
          if (out.includes('server listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const line = out.split('\n').find((l) => l.includes('server listening'))!;
      expect(line.trimStart().startsWith('{')).toBe(false);
      expect(line).toMatch(/INFO/);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      removeDir(dir);
    }
  });
});

describe('refusing to start', () => {
  test('port already in use: clear message, non-zero exit', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    const dir = tempDir();
    try {
      const r = await runCli(['serve', '--http', `127.0.0.1:${port}`, '--dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
      removeDir(dir);
    }
  });

  test.each([
    ['garbage', () => Buffer.alloc(64 * 1024, 'definitely not sqlite '), /not a SQLite database/],
    ['a truncated header', () => Buffer.from('SQLite format 3\0'), /not a SQLite database/],
  ])(
    'a corrupted data.db (%s): refuses with a clear message and leaves the file byte-identical',
    async (_n, bytes, message) => {
      const dir = tempDir();
      try {
        const file = join(dir, 'data.db');
        writeFileSync(file, bytes());
        const before = createHash('sha256').update(readFileSync(file)).digest('hex');
        const r = await runCli(['serve', '--http', '127.0.0.1:0', '--dir', dir]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
        expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
        expect(existsSync(`${file}-wal`)).toBe(false);
      } finally {
        removeDir(dir);
      }
    },
  );

  test('a database migrated by a newer Hearth: refuses and names the migration', async () => {
    const dir = tempDir();
    try {
      expect((await runCli(['migrate', 'up', '--dir', dir])).code).toBe(0);
      const db = new BetterSqlite3(join(dir, 'data.db'));
      db.prepare('INSERT INTO _migrations (name, applied) VALUES (?, ?)').run(
        'future/20991231000000_x',
        '2099-12-31T00:00:00Z',
      );
      db.close();
      const r = await runCli(['serve', '--http', '127.0.0.1:0', '--dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('migrations this build of Hearth does not know (future/20991231000000_x)');
    } finally {
      removeDir(dir);
    }
  });

  test('a bad bootstrap value: clear message, exit 1', async () => {
    const r = await runCli(['serve', '--http', 'not-an-address']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Invalid listen address "not-an-address"');
  });
});
