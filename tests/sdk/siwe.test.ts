import { Wallet, type HDNodeWallet } from 'ethers';
import type PocketBase from 'pocketbase';
import { SiweMessage } from 'siwe';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failure, fieldCode, startSdkServer, unique, type SdkServer } from './server';

// Sign-In with Ethereum (EIP-4361) through the SDK's `send`, with ethers wallets signing real messages:
// the nonce endpoint, sign-up and sign-in by address, the linked identity in `_externalAuths`, and every
// refusal QUALITY.md's SIWE row asks for (replayed or unknown nonce, wrong domain, expired message …).

/** A wallet the tests sign with. */
type Signer = Wallet | HDNodeWallet;

let s: SdkServer;
/** The authority the client talks to (`127.0.0.1:port`); the configured domain is `localhost`. */
let host: string;

beforeAll(async () => {
  s = await startSdkServer();
  host = new URL(s.url).host;
  // Many refused sign-ins from one address; the limit itself is tested below and in ratelimit.test.ts.
  await s.admin.settings.update({ rateLimits: { enabled: false } });
});
afterAll(async () => {
  await s?.close();
});

async function getNonce(pb: PocketBase = s.newClient()): Promise<string> {
  return ((await pb.send('/api/hearth/siwe/nonce', {})) as { nonce: string }).nonce;
}

/** A message as a web app at `host` writes it, with `fields` changed. */
async function message(wallet: Signer, fields: Partial<SiweMessage> = {}): Promise<string> {
  const now = Date.now();
  return new SiweMessage({
    domain: host,
    address: wallet.address,
    statement: 'Sign in to Hearth.',
    uri: `http://${host}`,
    version: '1',
    chainId: 1,
    nonce: fields.nonce ?? (await getNonce()),
    issuedAt: new Date(now).toISOString(),
    expirationTime: new Date(now + 5 * 60_000).toISOString(),
    ...fields,
  }).prepareMessage();
}

interface AuthAnswer {
  token: string;
  record: Record<string, unknown>;
}

function authWithSiwe(
  body: Record<string, unknown>,
  options: { collection?: string; pb?: PocketBase } = {},
): Promise<AuthAnswer> {
  const pb = options.pb ?? s.newClient();
  return pb.send(`/api/collections/${options.collection ?? 'users'}/auth-with-siwe`, {
    method: 'POST',
    body,
  }) as Promise<AuthAnswer>;
}

/** Signs `text` with `wallet` and signs in with it. */
async function signIn(
  wallet: Signer,
  text?: string,
  options: { collection?: string; pb?: PocketBase } = {},
): Promise<AuthAnswer> {
  const msg = text ?? (await message(wallet));
  return authWithSiwe({ message: msg, signature: await wallet.signMessage(msg) }, options);
}

/**
 * A new auth collection whose email is optional, as a wallet sign-up has none (`users` has it so; a
 * new auth collection requires an email until a superuser says otherwise).
 */
async function walletCollection(rules: Record<string, unknown> = {}): Promise<{ id: string; name: string }> {
  const name = unique('wallets');
  const created = await s.admin.collections.create({ name, type: 'auth', createRule: '', fields: [] });
  const fields = created.fields.map((f) => (f.name === 'email' ? { ...f, required: false } : f));
  await s.admin.collections.update(created.id, { fields, ...rules });
  return { id: created.id, name };
}

/** The refusal of a sign-in: PocketBase's 400 with the reason's code under `data.<field>`. */
async function refused(request: Promise<unknown>, field: 'message' | 'signature', code: string) {
  const err = await failure(request);
  expect(err.status).toBe(400);
  expect(err.response).toMatchObject({ status: 400, message: 'Failed to authenticate.' });
  expect(fieldCode(err, field)).toBe(code);
  return err;
}

describe('nonce', () => {
  test('is at least 8 alphanumerics, new each time and never cached', async () => {
    const res = await fetch(`${s.url}/api/hearth/siwe/nonce`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { nonce } = (await res.json()) as { nonce: string };
    expect(nonce).toMatch(/^[a-zA-Z0-9]{17,}$/);
    expect(await getNonce()).not.toBe(nonce);
  });

  test('works once: a replayed message is refused', async () => {
    const wallet = Wallet.createRandom();
    const msg = await message(wallet);
    const signature = await wallet.signMessage(msg);
    await authWithSiwe({ message: msg, signature });
    await refused(authWithSiwe({ message: msg, signature }), 'message', 'validation_siwe_nonce');
  });

  test('two requests racing with one message: one signs in', async () => {
    const wallet = Wallet.createRandom();
    const msg = await message(wallet);
    const signature = await wallet.signMessage(msg);
    const results = await Promise.allSettled([
      authWithSiwe({ message: msg, signature }),
      authWithSiwe({ message: msg, signature }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  test('an unknown nonce is refused', async () => {
    const wallet = Wallet.createRandom();
    await refused(
      signIn(wallet, await message(wallet, { nonce: 'abcdef0123456789abcdef' })),
      'message',
      'validation_siwe_nonce',
    );
  });

  test('is used up by a refused attempt too', async () => {
    const wallet = Wallet.createRandom();
    const nonce = await getNonce();
    await refused(
      signIn(wallet, await message(wallet, { nonce, domain: 'evil.example' })),
      'message',
      'validation_siwe_domain',
    );
    await refused(signIn(wallet, await message(wallet, { nonce })), 'message', 'validation_siwe_nonce');
  });
});

describe('sign-in', () => {
  test('the first sign-in creates the account, later ones find it', async () => {
    const wallet = Wallet.createRandom();
    const first = await signIn(wallet);
    expect(first.token).toEqual(expect.any(String));
    expect(first.record).toMatchObject({
      collectionName: 'users',
      email: '',
      verified: false,
      name: `${wallet.address.slice(0, 6)}…${wallet.address.slice(-4)}`,
    });
    // The token is an ordinary session for the SDK.
    const pb = s.newClient(first.token);
    const refreshed = await pb.collection('users').authRefresh();
    expect(refreshed.record.id).toBe(first.record['id']);
    expect((await pb.collection('users').getOne(String(first.record['id']))).id).toBe(first.record['id']);

    const second = await signIn(wallet);
    expect(second.record['id']).toBe(first.record['id']);

    // The message may name the server as `localhost` (the configured domain) just as well.
    const local = host.replace('127.0.0.1', 'localhost');
    const third = await signIn(wallet, await message(wallet, { domain: local, uri: `http://${local}/app` }));
    expect(third.record['id']).toBe(first.record['id']);
  });

  test('the address is an identity in _externalAuths its owner lists and removes', async () => {
    const wallet = Wallet.createRandom();
    const { token, record } = await signIn(wallet);
    const pb = s.newClient(token);
    const identities = await pb.collection('_externalAuths').getFullList();
    expect(identities).toHaveLength(1);
    expect(identities[0]).toMatchObject({
      collectionRef: record['collectionId'],
      recordRef: record['id'],
      provider: 'siwe',
      providerId: wallet.address,
    });
    // Nobody else sees it.
    const other = await signIn(Wallet.createRandom());
    const theirs = await s.newClient(other.token).collection('_externalAuths').getFullList();
    expect(theirs.map((i) => i['recordRef'])).toEqual([other.record['id']]);
    // Removed, the address no longer leads to the account: it would sign a new one up.
    await pb.collection('_externalAuths').delete(identities[0]!.id);
    const again = await signIn(wallet);
    expect(again.record['id']).not.toBe(record['id']);
  });

  test('signed in, an address not linked yet is linked to the current account', async () => {
    const user = await s.signUp();
    const wallet = Wallet.createRandom();
    // Not while the account's email is unproven: whoever signed it up may not own the address.
    const early = await failure(signIn(wallet, undefined, { pb: user.client }));
    expect(early.status).toBe(403);
    expect(await user.client.collection('_externalAuths').getFullList()).toEqual([]);
    await s.admin.collection('users').update(user.record.id, { verified: true });
    const linked = await signIn(wallet, undefined, { pb: user.client });
    expect(linked.record['id']).toBe(user.record.id);
    const identities = await user.client.collection('_externalAuths').getFullList();
    expect(identities.map((i) => i['providerId'])).toEqual([wallet.address]);
    // And later the wallet alone signs in to that account.
    expect((await signIn(wallet)).record['id']).toBe(user.record.id);
  });

  test('works for any auth collection, not for _superusers or other collections', async () => {
    const { name } = await walletCollection();
    const wallet = Wallet.createRandom();
    const { record } = await signIn(wallet, undefined, { collection: name });
    expect(record['collectionName']).toBe(name);
    expect(record['name']).toBeUndefined();
    // A collection that requires an email cannot sign a wallet up (the create path says why).
    const strict = unique('strict');
    await s.admin.collections.create({ name: strict, type: 'auth', createRule: '', fields: [] });
    const noEmail = await failure(signIn(wallet, undefined, { collection: strict }));
    expect(noEmail.status).toBe(400);
    expect(fieldCode(noEmail, 'email')).toBe('validation_required');

    const su = await failure(signIn(wallet, undefined, { collection: '_superusers' }));
    expect(su.status).toBe(403);
    expect(su.response).toMatchObject({
      status: 403,
      message: 'The collection is not configured to allow Sign-In with Ethereum.',
    });
    const base = unique('base');
    await s.admin.collections.create({ name: base, type: 'base', fields: [] });
    expect((await failure(signIn(wallet, undefined, { collection: base }))).status).toBe(400);
    expect((await failure(signIn(wallet, undefined, { collection: unique('none') }))).status).toBe(404);
  });

  test('the createRule decides about new accounts; linked addresses still sign in', async () => {
    const collection = await walletCollection();
    const name = collection.name;
    const known = Wallet.createRandom();
    const first = await signIn(known, undefined, { collection: name });
    await s.admin.collections.update(collection.id, { createRule: null });

    expect((await signIn(known, undefined, { collection: name })).record['id']).toBe(first.record['id']);
    const stranger = await failure(signIn(Wallet.createRandom(), undefined, { collection: name }));
    expect(stranger.status).toBe(403);
    expect(stranger.response['status']).toBe(403);
  });

  test("the collection's authRule applies", async () => {
    const collection = await walletCollection();
    const name = collection.name;
    const wallet = Wallet.createRandom();
    await signIn(wallet, undefined, { collection: name });
    await s.admin.collections.update(collection.id, { authRule: 'verified = true' });
    const err = await failure(signIn(wallet, undefined, { collection: name }));
    expect(err.status).toBe(403);
  });
});

describe('refusals', () => {
  test('missing fields', async () => {
    const err = await failure(authWithSiwe({}));
    expect(err.status).toBe(400);
    expect(fieldCode(err, 'message')).toBe('validation_required');
    expect(fieldCode(err, 'signature')).toBe('validation_required');
    const wallet = Wallet.createRandom();
    await refused(authWithSiwe({ message: await message(wallet) }), 'signature', 'validation_required');
    await refused(authWithSiwe({ message: 42, signature: '0x00' }), 'message', 'validation_required');
  });

  test('a message that is not EIP-4361', async () => {
    await refused(
      authWithSiwe({ message: 'let me in', signature: '0x00' }),
      'message',
      'validation_invalid_siwe_message',
    );
    // A lower-case (not EIP-55) address, and a message with its lines reordered.
    const wallet = Wallet.createRandom();
    const msg = await message(wallet);
    await refused(
      signIn(wallet, msg.replace(wallet.address, wallet.address.toLowerCase())),
      'message',
      'validation_invalid_siwe_message',
    );
    await refused(signIn(wallet, `${msg}\n`), 'message', 'validation_invalid_siwe_message');
  });

  test('a signature by another key, or no signature at all', async () => {
    const wallet = Wallet.createRandom();
    const msg = await message(wallet);
    await refused(
      authWithSiwe({ message: msg, signature: await Wallet.createRandom().signMessage(msg) }),
      'signature',
      'validation_invalid_signature',
    );
    const other = await message(wallet);
    await refused(
      authWithSiwe({ message: other, signature: '0x1234' }),
      'signature',
      'validation_invalid_signature',
    );
    // A signature of another message by the right key.
    const third = await message(wallet);
    await refused(
      authWithSiwe({ message: third, signature: await wallet.signMessage(msg) }),
      'signature',
      'validation_invalid_signature',
    );
  });

  test('a domain that is not this server', async () => {
    const wallet = Wallet.createRandom();
    for (const domain of ['evil.example', `evil.example:${new URL(s.url).port}`, 'localhost.evil.example']) {
      await refused(
        signIn(wallet, await message(wallet, { domain, uri: `https://${domain}` })),
        'message',
        'validation_siwe_domain',
      );
    }
  });

  test('a chain the server does not take (siwe.chainIds, mainnet by default)', async () => {
    const wallet = Wallet.createRandom();
    const answer = (await s.newClient().send('/api/hearth/siwe/nonce', {})) as { chainId: number };
    expect(answer.chainId).toBe(1);
    await refused(signIn(wallet, await message(wallet, { chainId: 5 })), 'message', 'validation_siwe_chain');
    await s.admin.settings.update({ siwe: { chainIds: [8453, 1] } });
    try {
      expect(((await s.newClient().send('/api/hearth/siwe/nonce', {})) as { chainId: number }).chainId).toBe(
        8453,
      );
      await signIn(wallet, await message(wallet, { chainId: 8453 }));
      await refused(
        signIn(wallet, await message(wallet, { chainId: 5 })),
        'message',
        'validation_siwe_chain',
      );
    } finally {
      await s.admin.settings.update({ siwe: { chainIds: [1] } });
    }
  });

  test('a URI of another host, port or scheme', async () => {
    const wallet = Wallet.createRandom();
    for (const uri of [
      'https://evil.example/',
      'http://127.0.0.1:1/',
      'ftp://' + host + '/',
      'did:key:z6Mk',
    ]) {
      await refused(signIn(wallet, await message(wallet, { uri })), 'message', 'validation_siwe_uri');
    }
  });

  test('an expired message, or one older than its nonce', async () => {
    const wallet = Wallet.createRandom();
    const past = Date.now() - 10 * 60_000;
    await refused(
      signIn(wallet, await message(wallet, { expirationTime: new Date(Date.now() - 1000).toISOString() })),
      'message',
      'validation_siwe_expired',
    );
    await refused(
      signIn(
        wallet,
        await message(wallet, { issuedAt: new Date(past).toISOString(), expirationTime: undefined }),
      ),
      'message',
      'validation_siwe_expired',
    );
  });

  test('a message issued in the future or not valid yet', async () => {
    const wallet = Wallet.createRandom();
    const later = Date.now() + 10 * 60_000;
    await refused(
      signIn(
        wallet,
        await message(wallet, {
          issuedAt: new Date(later).toISOString(),
          expirationTime: new Date(later + 60_000).toISOString(),
        }),
      ),
      'message',
      'validation_siwe_not_yet_valid',
    );
    await refused(
      signIn(wallet, await message(wallet, { notBefore: new Date(Date.now() + 60_000).toISOString() })),
      'message',
      'validation_siwe_not_yet_valid',
    );
    // A few seconds of clock difference are fine.
    await signIn(wallet, await message(wallet, { issuedAt: new Date(Date.now() + 5_000).toISOString() }));
  });

  test('refused sign-ins count under the authWithSIWE and auth rate limit tags', async () => {
    await s.admin.settings.update({
      rateLimits: {
        enabled: true,
        rules: [{ label: '*:authWithSIWE', audience: '', duration: 60, maxRequests: 2 }],
      },
    });
    try {
      const bad = { message: 'let me in', signature: '0x00' };
      for (let i = 0; i < 2; i++) expect((await failure(authWithSiwe(bad))).status).toBe(400);
      expect((await failure(authWithSiwe(bad))).status).toBe(429);
    } finally {
      await s.admin.settings.update({ rateLimits: { enabled: false } });
    }
  });
});
