import type PocketBase from 'pocketbase';
import { afterEach, beforeAll, afterAll, describe, expect, test } from 'vitest';
import { SUPERUSER } from '../../api/testing/hearth';
import { DEFAULT_RATE_LIMIT_RULES } from '../../api/ratelimit/settings.defs';
import type { RateLimitRule } from '../../api/ratelimit/ratelimit.rules';
import { createCollection, failure, PASSWORD, startSdkServer, unique, type SdkServer } from './server';

// Rate limits (QUALITY.md "auth" row: repeated failed logins → 429). On by default, in PocketBase's
// settings format (`rateLimits: {enabled, rules}`); the client is this test's loopback address.

let s: SdkServer;

beforeAll(async () => {
  s = await startSdkServer();
});
afterAll(async () => {
  await s?.close();
});
afterEach(async () => {
  await s.admin.settings.update({
    rateLimits: { enabled: true, rules: DEFAULT_RATE_LIMIT_RULES },
    trustedProxy: { headers: [], useLeftmostIP: false },
  });
});

const TOO_MANY = { status: 429, message: 'Too Many Requests.', data: {} };

/** A fresh auth collection (its own sign-in windows) with one member. */
async function members(): Promise<{ name: string; email: string }> {
  const c = await s.admin.collections.create({ name: unique('members'), type: 'auth', fields: [] });
  const email = `${unique('m').toLowerCase()}@example.com`;
  await s.admin.collection(c.name).create({ email, password: PASSWORD, passwordConfirm: PASSWORD });
  return { name: c.name, email };
}

/** The status of a password sign-in. */
async function signIn(
  pb: PocketBase,
  collection: string,
  identity: string,
  password: string,
): Promise<number> {
  try {
    await pb.collection(collection).authWithPassword(identity, password);
    return 200;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

async function setRules(rules: Partial<RateLimitRule>[]): Promise<void> {
  await s.admin.settings.update({ rateLimits: { enabled: true, rules } });
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('defaults', () => {
  test('on, in PocketBase shape, limiting sign-ins, the mail endpoints and SIWE nonces only', async () => {
    const settings = (await s.admin.settings.getAll()) as {
      rateLimits: { enabled: boolean; rules: unknown[] };
    };
    expect(settings.rateLimits.enabled).toBe(true);
    expect(settings.rateLimits.rules).toContainEqual({
      label: '*:auth',
      audience: '',
      duration: 10,
      maxRequests: 5,
    });
    expect(settings.rateLimits.rules).toContainEqual({
      label: '*:requestPasswordReset',
      audience: '',
      duration: 60,
      maxRequests: 3,
    });
    expect(settings.rateLimits.rules).toContainEqual({
      label: '/api/hearth/siwe/nonce',
      audience: '',
      duration: 60,
      maxRequests: 30,
    });
    const labels = settings.rateLimits.rules.map((r) => (r as RateLimitRule).label);
    expect(labels.filter((l) => l.includes('/') || /:(list|view|create|update|delete)$/.test(l))).toEqual([
      '/api/hearth/siwe/nonce',
      '/api/hearth/notes/recipient',
    ]);
  });

  test('SIWE nonces (unauthenticated, a bounded store): 30 a minute per client, then 429', async () => {
    const nonce = (method = 'GET', headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${s.url}/api/hearth/siwe/nonce`, { method, headers });
    const { token } = await s.signUp();
    for (let i = 0; i < 30; i++) {
      // Signed in or not, and HEAD (answered by the GET route) too: one window per client address.
      const res = await (i % 3 === 0
        ? nonce('HEAD')
        : nonce('GET', i % 3 === 1 ? { authorization: token } : {}));
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const refused = await nonce();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual(TOO_MANY);
    expect((await nonce('HEAD')).status).toBe(429);
    expect((await fetch(`${s.url}/api/hearth/siwe/nonc%65`)).status).toBe(429); // the path, decoded
    expect((await nonce('GET', { authorization: token })).status).toBe(429);
    // Superusers are exempt, and the rest of the API goes on for this client.
    await s.admin.send('/api/hearth/siwe/nonce', {});
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
  });

  test('wrong passwords in a burst: 5 get 400, then 429 with PocketBase error JSON and Retry-After', async () => {
    const m = await members();
    const anon = s.newClient();
    for (let i = 0; i < 5; i++) expect(await signIn(anon, m.name, m.email, `wrong ${i}`)).toBe(400);
    const err = await failure(anon.collection(m.name).authWithPassword(m.email, 'wrong again'));
    expect(err.status).toBe(429);
    expect(err.response).toEqual(TOO_MANY);
    // The right password waits too: the limit is on the client, not on whether it guessed right.
    expect(await signIn(anon, m.name, m.email, PASSWORD)).toBe(429);
    const raw = await post(`/api/collections/${m.name}/auth-with-password`, {
      identity: m.email,
      password: 'x',
    });
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(raw.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    expect(await raw.json()).toEqual(TOO_MANY);
    // Windows are per collection: other sign-ins from this address go on.
    expect(await signIn(s.newClient(), '_superusers', SUPERUSER.email, SUPERUSER.password)).toBe(200);
    expect(await signIn(s.newClient(), (await members()).name, 'nobody@example.com', 'x')).toBe(400);
  });

  test('sign-ins that succeed are not counted: only failures add up', async () => {
    const m = await members();
    const anon = s.newClient();
    for (let i = 0; i < 12; i++) expect(await signIn(anon, m.name, m.email, PASSWORD)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await signIn(anon, m.name, m.email, 'wrong')).toBe(400);
    expect(await signIn(anon, m.name, m.email, 'wrong')).toBe(429);
  });

  test('a burst of parallel guesses gets no further than the limit', async () => {
    const m = await members();
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signIn(s.newClient(), m.name, m.email, `guess ${i}`)),
    );
    expect(statuses.filter((x) => x === 400)).toHaveLength(5);
    expect(statuses.filter((x) => x === 429)).toHaveLength(15);
  });

  test('requests that send mail: 3 a minute per client, then 429', async () => {
    const m = await members();
    for (const action of ['request-password-reset', 'request-verification', 'request-otp']) {
      const path = `/api/collections/${m.name}/${action}`;
      for (let i = 0; i < 3; i++)
        expect((await post(path, { email: 'nobody@example.com' })).status).not.toBe(429);
      const refused = await post(path, { email: 'nobody@example.com' });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual(TOO_MANY);
    }
  });

  test('ordinary record traffic is not limited', async () => {
    const c = await createCollection(s.admin, unique('open'), [{ name: 'n', type: 'number' }]);
    const anon = s.newClient();
    await Promise.all(Array.from({ length: 200 }, (_, n) => anon.collection(c.name).create({ n })));
    const lists = await Promise.all(Array.from({ length: 200 }, () => anon.collection(c.name).getList(1, 1)));
    expect(lists.every((l) => l.totalItems === 200)).toBe(true);
  });
});

describe('superusers', () => {
  test('are never limited', async () => {
    const m = await members();
    const path = `/api/collections/${m.name}/auth-with-password`;
    for (let i = 0; i < 12; i++) {
      const err = await failure(
        s.admin.send(path, { method: 'POST', body: { identity: m.email, password: 'x' } }),
      );
      expect(err.status).toBe(400);
    }
    await setRules([{ label: '/api/', duration: 60, maxRequests: 1 }]);
    for (let i = 0; i < 10; i++) await s.admin.collections.getList(1, 1);
    expect(s.admin.authStore.isSuperuser).toBe(true);
  });
});

describe('settings', () => {
  test('the window resets after its duration', async () => {
    const m = await members();
    await setRules([{ label: '*:auth', duration: 1, maxRequests: 2 }]);
    const anon = s.newClient();
    expect(await signIn(anon, m.name, m.email, 'a')).toBe(400);
    expect(await signIn(anon, m.name, m.email, 'b')).toBe(400);
    expect(await signIn(anon, m.name, m.email, 'c')).toBe(429);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await signIn(anon, m.name, m.email, 'd')).toBe(400);
    expect(await signIn(anon, m.name, m.email, PASSWORD)).toBe(200);
  });

  test('turning rateLimits.enabled off lifts the limit at once', async () => {
    const m = await members();
    const anon = s.newClient();
    for (let i = 0; i < 5; i++) await signIn(anon, m.name, m.email, 'wrong');
    expect(await signIn(anon, m.name, m.email, 'wrong')).toBe(429);
    const updated = (await s.admin.settings.update({ rateLimits: { enabled: false } })) as {
      rateLimits: { enabled: boolean; rules: unknown[] };
    };
    expect(updated.rateLimits).toMatchObject({ enabled: false, rules: DEFAULT_RATE_LIMIT_RULES });
    for (let i = 0; i < 10; i++) expect(await signIn(anon, m.name, m.email, 'wrong')).toBe(400);
    expect(await signIn(anon, m.name, m.email, PASSWORD)).toBe(200);
  });

  test('a custom rule: POST /api/collections/{c}/records, 2 a minute', async () => {
    const c = await createCollection(s.admin, unique('limited'), [{ name: 'n', type: 'number' }]);
    const other = await createCollection(s.admin, unique('other'), [{ name: 'n', type: 'number' }]);
    await setRules([{ label: `POST /api/collections/${c.name}/records`, duration: 60, maxRequests: 2 }]);
    const anon = s.newClient();
    await anon.collection(c.name).create({ n: 1 });
    await anon.collection(c.name).create({ n: 2 });
    const err = await failure(anon.collection(c.name).create({ n: 3 }));
    expect(err.status).toBe(429);
    expect(err.response).toEqual(TOO_MANY);
    // Only that method and path: reads and other collections go on; superusers are exempt.
    expect((await anon.collection(c.name).getList(1, 10)).totalItems).toBe(2);
    await anon.collection(other.name).create({ n: 1 });
    await s.admin.collection(c.name).create({ n: 4 });
  });

  test('audiences: a @guest rule leaves signed-in users alone', async () => {
    const c = await createCollection(s.admin, unique('feed'), [{ name: 'n', type: 'number' }]);
    await setRules([{ label: `${c.name}:list`, audience: '@guest', duration: 60, maxRequests: 1 }]);
    const anon = s.newClient();
    await anon.collection(c.name).getList(1, 1);
    expect((await failure(anon.collection(c.name).getList(1, 1))).status).toBe(429);
    const { client } = await s.signUp();
    for (let i = 0; i < 5; i++) await client.collection(c.name).getList(1, 1);
  });

  test('bad rules → 400 naming the rule and field, nothing written', async () => {
    const bad: [unknown, string][] = [
      [[{ label: 'users auth', duration: 1, maxRequests: 1 }], 'rules.0.label'],
      [
        [
          { label: '*:auth', duration: 1, maxRequests: 1 },
          { label: '/api/', duration: 1, maxRequests: 0 },
        ],
        'rules.1.maxRequests',
      ],
      [[{ label: '/api/', duration: 0, maxRequests: 1 }], 'rules.0.duration'],
      [[{ label: '/api/', duration: 1, maxRequests: 1, audience: 'everyone' }], 'rules.0.audience'],
      [
        [
          { label: '/api/', duration: 1, maxRequests: 1 },
          { label: '/api/', duration: 1, maxRequests: 5 },
        ],
        'rules.1.label',
      ],
      ['all of them', 'expected array'],
    ];
    for (const [rules, message] of bad) {
      const err = await failure(s.admin.settings.update({ rateLimits: { enabled: false, rules } }));
      expect(err.status).toBe(400);
      const data = err.response['data'] as { rateLimits: { rules: { code: string; message: string } } };
      expect(data.rateLimits.rules.code).toBe('validation_invalid_value');
      expect(data.rateLimits.rules.message).toContain(message);
    }
    const settings = (await s.admin.settings.getAll()) as { rateLimits: unknown };
    expect(settings.rateLimits).toEqual({ enabled: true, rules: DEFAULT_RATE_LIMIT_RULES });
    const guest = await failure(s.newClient().settings.update({ rateLimits: { enabled: false } }));
    expect(guest.status).toBe(401);
  });
});

describe('behind a reverse proxy (trustedProxy settings)', () => {
  /** A password sign-in as a proxy would pass it on, with the X-Forwarded-For it sent. */
  async function signInVia(forwardedFor: string, collection: string, email: string): Promise<number> {
    const res = await fetch(`${s.url}/api/collections/${collection}/auth-with-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ identity: email, password: 'wrong' }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  test('off by default, in PocketBase shape; bad header names → 400', async () => {
    const settings = (await s.admin.settings.getAll()) as { trustedProxy: unknown };
    expect(settings.trustedProxy).toEqual({ headers: [], useLeftmostIP: false });
    const err = await failure(s.admin.settings.update({ trustedProxy: { headers: ['X Forwarded For'] } }));
    expect(err.status).toBe(400);
    expect(err.response['data']).toMatchObject({
      trustedProxy: { headers: { code: 'validation_invalid_value' } },
    });
  });

  test('without the setting a spoofed X-Forwarded-For does not evade the sign-in limit', async () => {
    const m = await members();
    for (let i = 0; i < 5; i++) expect(await signInVia(`198.51.100.${i + 1}`, m.name, m.email)).toBe(400);
    expect(await signInVia('198.51.100.99', m.name, m.email)).toBe(429);
  });

  test('with X-Forwarded-For trusted, clients with different addresses get separate limits', async () => {
    await s.admin.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'] } });
    const m = await members();
    for (let i = 0; i < 5; i++) expect(await signInVia('198.51.100.1', m.name, m.email)).toBe(400);
    expect(await signInVia('198.51.100.1', m.name, m.email)).toBe(429);
    // Another client behind the same proxy is not locked out by the first one's guesses.
    expect(await signInVia('198.51.100.2', m.name, m.email)).toBe(400);
    // The proxy appends the address it saw: what a client put in front of it changes nothing.
    expect(await signInVia('203.0.113.7, 198.51.100.1', m.name, m.email)).toBe(429);
  });

  test('useLeftmostIP takes the first address of the list', async () => {
    await s.admin.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: true } });
    const m = await members();
    for (let i = 0; i < 5; i++) {
      expect(await signInVia(`198.51.100.1, 10.0.0.${i + 1}`, m.name, m.email)).toBe(400);
    }
    expect(await signInVia('198.51.100.1, 10.0.0.9', m.name, m.email)).toBe(429);
    expect(await signInVia('198.51.100.2, 10.0.0.1', m.name, m.email)).toBe(400);
  });
});
