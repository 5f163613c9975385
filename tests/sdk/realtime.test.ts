import { EventSource } from 'eventsource';
import type PocketBase from 'pocketbase';
import type { RecordModel, RecordSubscribeOptions, RecordSubscription } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createCollection, failure, startSdkServer, unique, type FieldSpec, type SdkServer } from './server';

// GET|POST /api/realtime as pocketbase/pocketbase apis/realtime.go serves it, driven through the SDK's
// RealtimeService (EventSource polyfill in Node): topics COLLECTION/* (listRule) and COLLECTION/ID
// (viewRule), checked per subscriber against the record state after the write (before it for deletes).

(globalThis as { EventSource?: unknown }).EventSource = EventSource;

type Event = RecordSubscription<RecordModel>;
const SETTLE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let s: SdkServer;
let alice: { record: RecordModel; token: string };
let bob: { record: RecordModel; token: string };
let carol: RecordModel;
const clients: PocketBase[] = [];
const streams: AbortController[] = [];

beforeAll(async () => {
  s = await startSdkServer();
  alice = await s.signUp('users', { name: 'alice' });
  bob = await s.signUp('users', { name: 'bob' });
  carol = (await s.signUp('users', { name: 'carol' })).record;
});
afterAll(async () => {
  for (const stream of streams) stream.abort();
  await Promise.all(clients.map((pb) => pb.realtime.unsubscribe().catch(() => undefined)));
  await s?.close();
});

/** A client that is disconnected after the run; `super` signs it in as the fixture superuser. */
function client(token?: string | 'super'): PocketBase {
  const pb = s.newClient(token === 'super' ? s.admin.authStore.token : token);
  clients.push(pb);
  return pb;
}

async function listen(pb: PocketBase, collection: string, topic: string, options?: RecordSubscribeOptions) {
  const events: Event[] = [];
  const unsubscribe = await pb.collection(collection).subscribe(topic, (e) => events.push(e), options);
  return { events, unsubscribe };
}

/** Waits until every list has its expected length (bounded), then a little longer for stragglers. */
async function settle(expected: [unknown[], number][], timeout = 3000): Promise<void> {
  const end = Date.now() + timeout;
  while (expected.some(([list, n]) => list.length < n) && Date.now() < end) await sleep(20);
  await sleep(SETTLE_MS);
}

const ev = (action: string, record: unknown) => ({ action, record });

/** Events grouped by record id, in arrival order: exact contents, order per record. */
function byRecord(events: Event[]): Record<string, ReturnType<typeof ev>[]> {
  const out: Record<string, ReturnType<typeof ev>[]> = {};
  for (const e of events) (out[String(e.record?.id)] ??= []).push({ action: e.action, record: e.record });
  return out;
}

async function collection(fields: FieldSpec[], rule: string | null = '') {
  const c = await createCollection(s.admin, unique('rt'), fields, {
    listRule: rule,
    viewRule: rule,
    createRule: null,
    updateRule: null,
    deleteRule: null,
  });
  return c.name;
}

async function docs(): Promise<string> {
  const users = await s.admin.collections.getOne('users');
  return collection(
    [
      { name: 'title', type: 'text' },
      { name: 'owner', type: 'relation', collectionId: users.id, maxSelect: 1 },
      { name: 'public', type: 'bool' },
    ],
    'owner = @request.auth.id || public = true',
  );
}

describe('SDK subscribe', () => {
  test('anonymous, two users and a superuser each get exactly what the API lets them read, within 1 s', async () => {
    const c = await docs();
    const pbs = {
      anon: client(),
      alice: client(alice.token),
      bob: client(bob.token),
      superuser: client('super'),
    };
    const who = Object.keys(pbs) as (keyof typeof pbs)[];
    const subs: Record<string, { events: Event[] }> = {};
    for (const k of who) subs[k] = await listen(pbs[k], c, '*');

    const col = s.admin.collection(c);
    // g has no owner: `owner = @request.auth.id` holds for guests (both sides empty), as in PocketBase.
    const make: Record<string, object> = {
      p: { public: true },
      u: { owner: alice.record.id },
      b: { owner: bob.record.id },
      n: { owner: carol.id },
      g: {},
    };
    const created: Record<string, RecordModel> = {};
    const updated: Record<string, RecordModel> = {};
    for (const [k, data] of Object.entries(make)) created[k] = await col.create({ title: k, ...data });
    for (const k in make) updated[k] = await col.update(created[k]!.id, { title: `${k}2` });
    // t turns public (readable after that write), then private again (unreadable after it).
    const t = await col.create({ title: 't', owner: carol.id });
    const t1 = await col.update(t.id, { public: true });
    const t2 = await col.update(t.id, { public: false });
    const id = (k: string) => created[k]!.id;
    const readable = async (pb: PocketBase) => (await pb.collection(c).getFullList()).map((r) => r.id).sort();
    expect(await readable(pbs.anon)).toEqual([id('p'), id('g')].sort());
    expect(await readable(pbs.alice)).toEqual([id('p'), id('u')].sort());
    expect(await readable(pbs.bob)).toEqual([id('p'), id('b')].sort());
    for (const k in make) await col.delete(id(k));
    await col.delete(t.id);

    const life = (...keys: string[]) =>
      Object.fromEntries(
        keys.map((k) => [
          id(k),
          [ev('create', created[k]), ev('update', updated[k]), ev('delete', updated[k])],
        ]),
      );
    const flip = { [t.id]: [ev('update', t1)] };
    const expected: Record<string, Record<string, unknown[]>> = {
      anon: { ...life('p', 'g'), ...flip },
      alice: { ...life('p', 'u'), ...flip },
      bob: { ...life('p', 'b'), ...flip },
      superuser: {
        ...life('p', 'u', 'b', 'n', 'g'),
        [t.id]: [ev('create', t), ev('update', t1), ev('update', t2), ev('delete', t2)],
      },
    };
    const count = (k: string) => Object.values(expected[k]!).flat().length;
    await settle(
      who.map((k) => [subs[k]!.events, count(k)]),
      1000,
    );
    for (const k of who) expect(byRecord(subs[k]!.events), k).toEqual(expected[k]);
  });

  test('a record topic gets only that record’s update and delete (viewRule)', async () => {
    const c = await docs();
    const col = s.admin.collection(c);
    const mine = await col.create({ title: 'mine', owner: alice.record.id });
    const other = await col.create({ title: 'other', owner: alice.record.id });
    const hidden = await col.create({ title: 'hidden' });
    const pb = client(alice.token);
    const own = await listen(pb, c, mine.id);
    const notMine = await listen(pb, c, hidden.id);
    const anon = await listen(client(), c, mine.id);

    const mine2 = await col.update(mine.id, { title: 'mine2' });
    await col.update(other.id, { title: 'other2' });
    await col.update(hidden.id, { title: 'hidden2' });
    await col.create({ title: 'new', owner: alice.record.id });
    await col.delete(mine.id);
    await col.delete(hidden.id);

    await settle([[own.events, 2]]);
    expect(byRecord(own.events)).toEqual({
      [mine.id]: [ev('update', mine2), ev('delete', mine2)],
    });
    expect(notMine.events).toEqual([]);
    expect(anon.events).toEqual([]);
  });

  test('unsubscribe() stops delivery', async () => {
    const c = await collection([{ name: 'title', type: 'text' }]);
    const pb = client();
    const sub = await listen(pb, c, '*');
    const first = await s.admin.collection(c).create({ title: 'before' });
    await settle([[sub.events, 1]]);
    expect(byRecord(sub.events)).toEqual({ [first.id]: [ev('create', first)] });

    const clientId = pb.realtime.clientId;
    await sub.unsubscribe();
    expect(pb.realtime.isConnected).toBe(false);
    // The SDK closed its stream: the server forgets the client (a POST for it → 404).
    let status = 0;
    for (const end = Date.now() + 3000; status !== 404 && Date.now() < end; await sleep(50)) {
      status = await post({ clientId, subscriptions: [] });
    }
    expect(status).toBe(404);
    await s.admin.collection(c).create({ title: 'after' });
    await s.admin.collection(c).update(first.id, { title: 'after' });
    await settle([]);
    expect(sub.events).toHaveLength(1);
  });

  test('options filter and fields: only matching records, only the picked fields', async () => {
    const c = await collection([
      { name: 'title', type: 'text' },
      { name: 'body', type: 'text' },
    ]);
    const sub = await listen(client(), c, '*', { filter: 'title ~ "x"', fields: 'id,title' });
    const col = s.admin.collection(c);
    const xray = await col.create({ title: 'xray', body: 'b' });
    const yak = await col.create({ title: 'yak', body: 'b' });
    await col.update(yak.id, { title: 'yax' });
    await col.update(yak.id, { title: 'yak' });
    await col.delete(xray.id);
    await col.delete(yak.id);

    await settle([[sub.events, 3]]);
    expect(byRecord(sub.events)).toEqual({
      [xray.id]: [ev('create', { id: xray.id, title: 'xray' }), ev('delete', { id: xray.id, title: 'xray' })],
      [yak.id]: [ev('update', { id: yak.id, title: 'yax' })],
    });
  });

  test('options expand and fields apply per subscription; expand obeys the related view rule', async () => {
    const users = await s.admin.collections.getOne('users');
    // Ann is readable by alice only; posts are public.
    const authors = await collection(
      [
        { name: 'name', type: 'text' },
        { name: 'reader', type: 'relation', collectionId: users.id, maxSelect: 1 },
      ],
      'reader = @request.auth.id',
    );
    const authorsId = (await s.admin.collections.getOne(authors)).id;
    const posts = await collection([
      { name: 'title', type: 'text' },
      { name: 'rel', type: 'relation', collectionId: authorsId, maxSelect: 1 },
    ]);
    const ann = await s.admin.collection(authors).create({ name: 'Ann', reader: alice.record.id });
    const pbAlice = client(alice.token);
    const pbBob = client(bob.token);
    const picked = { expand: 'rel', fields: 'id,expand.rel.name' };
    const subs = {
      // Two subscriptions of one client to the same topic, with different options.
      alicePicked: await listen(pbAlice, posts, '*', picked),
      aliceFull: await listen(pbAlice, posts, '*', { expand: 'rel' }),
      bobPicked: await listen(pbBob, posts, '*', picked),
      bobFull: await listen(pbBob, posts, '*', { expand: 'rel' }),
    };
    // What the API answers each of them for the record as it is now.
    const views = async (id: string) => ({
      alice: await pbAlice.collection(posts).getOne(id, { expand: 'rel' }),
      bob: await pbBob.collection(posts).getOne(id, { expand: 'rel' }),
    });

    const col = s.admin.collection(posts);
    const created = await col.create({ title: 'one', rel: ann.id });
    const v1 = await views(created.id);
    await col.update(created.id, { title: 'two' });
    const v2 = await views(created.id);
    await col.delete(created.id);
    // The API itself expands Ann for alice only: the comparisons below are not vacuous.
    expect(v1.alice.expand).toEqual({ rel: await pbAlice.collection(authors).getOne(ann.id) });
    expect(v1.bob.expand).toBeUndefined();
    expect(v2.alice['title']).toBe('two');

    await settle(Object.values(subs).map((sub) => [sub.events, 3]));
    const pickedAlice = { id: created.id, expand: { rel: { name: 'Ann' } } };
    const pickedBob = { id: created.id };
    expect(byRecord(subs.alicePicked.events)).toEqual({
      [created.id]: [ev('create', pickedAlice), ev('update', pickedAlice), ev('delete', pickedAlice)],
    });
    expect(byRecord(subs.bobPicked.events)).toEqual({
      [created.id]: [ev('create', pickedBob), ev('update', pickedBob), ev('delete', pickedBob)],
    });
    expect(byRecord(subs.aliceFull.events)).toEqual({
      [created.id]: [ev('create', v1.alice), ev('update', v2.alice), ev('delete', v2.alice)],
    });
    expect(byRecord(subs.bobFull.events)).toEqual({
      [created.id]: [ev('create', v1.bob), ev('update', v2.bob), ev('delete', v2.bob)],
    });
  });

  test('hidden fields reach superusers only; without the rule nothing arrives', async () => {
    const vault = await collection([
      { name: 'title', type: 'text' },
      { name: 'secret', type: 'text', hidden: true },
    ]);
    const locked = await collection([{ name: 'title', type: 'text' }], null);
    const pb = client(alice.token);
    const superuser = client('super');
    const subs = {
      anon: await listen(client(), vault, '*'),
      alice: await listen(pb, vault, '*'),
      // A filter on a hidden field must not become an oracle for its value.
      oracle: await listen(pb, vault, '*', { filter: 'secret = "s3"' }),
      superVault: await listen(superuser, vault, '*'),
      lockedAlice: await listen(pb, locked, '*'),
      lockedAnon: await listen(client(), locked, '*'),
      lockedSuper: await listen(superuser, locked, '*'),
    };
    const v = await s.admin.collection(vault).create({ title: 'v', secret: 's3' });
    const l = await s.admin.collection(locked).create({ title: 'l' });
    expect(v['secret']).toBe('s3');
    const { secret: _secret, ...visible } = v;

    await settle([
      [subs.anon.events, 1],
      [subs.alice.events, 1],
      [subs.superVault.events, 1],
      [subs.lockedSuper.events, 1],
    ]);
    expect(byRecord(subs.anon.events)).toEqual({ [v.id]: [ev('create', visible)] });
    expect(byRecord(subs.alice.events)).toEqual({ [v.id]: [ev('create', visible)] });
    expect(byRecord(subs.superVault.events)).toEqual({ [v.id]: [ev('create', v)] });
    expect(byRecord(subs.lockedSuper.events)).toEqual({ [l.id]: [ev('create', l)] });
    expect(subs.oracle.events).toEqual([]);
    expect(subs.lockedAlice.events).toEqual([]);
    expect(subs.lockedAnon.events).toEqual([]);
  });

  test('a write inside a failed batch sends no event; a committed batch does', async () => {
    const c = await collection([{ name: 'title', type: 'text' }]);
    await s.admin.settings.update({ batch: { enabled: true } });
    const sub = await listen(client('super'), c, '*');

    const failing = s.admin.createBatch();
    failing.collection(c).create({ title: 'rolled back' });
    failing.collection(c).update('missingrecord00', { title: 'nope' });
    await failure(failing.send());

    const ok = s.admin.createBatch();
    ok.collection(c).create({ title: 'committed' });
    const [result] = (await ok.send()) as { status: number; body: RecordModel }[];
    expect(result?.status).toBe(200);

    await settle([[sub.events, 1]]);
    expect(sub.events.map((e) => [e.action, e.record['title']])).toEqual([['create', 'committed']]);
    expect(sub.events[0]?.record).toEqual(result?.body);
  });
});

type Frame = { raw: string } & Partial<Record<'id' | 'event' | 'data', string>>;

/** A raw SSE connection read with fetch; frames are parsed as they arrive. */
async function openStream() {
  const abort = new AbortController();
  streams.push(abort);
  const res = await fetch(`${s.url}/api/realtime`, { signal: abort.signal });
  const frames: Frame[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const frame: Frame = { raw: buf.slice(0, i) };
        buf = buf.slice(i + 2);
        for (const line of frame.raw.split('\n')) {
          const m = /^(id|event|data):( ?)(.*)$/.exec(line);
          if (m) frame[m[1] as 'id' | 'event' | 'data'] = m[3];
        }
        if (frame.event) frames.push(frame);
      }
    }
  })().catch(() => undefined);
  await settle([[frames, 1]]);
  const clientId = frames[0]?.id ?? '';
  return { res, frames, clientId };
}

async function post(body: unknown, token?: string): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = token;
  const res = await fetch(`${s.url}/api/realtime`, { method: 'POST', headers, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

describe('raw protocol', () => {
  test('GET opens text/event-stream whose first frame is PB_CONNECT with the client id', async () => {
    const stream = await openStream();
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const id = stream.clientId;
    expect(id).toMatch(/^\S+$/);
    expect(stream.frames[0]?.raw).toBe(`id:${id}\nevent:PB_CONNECT\ndata:{"clientId":"${id}"}`);
  });

  test('POST: unknown client 404, limits 400, auth change 403', async () => {
    const stream = await openStream();
    const clientId = stream.clientId;
    expect(await post({ clientId: 'nosuchclient', subscriptions: ['x/*'] })).toBe(404);
    const many = (n: number) => Array.from({ length: n }, (_, i) => `c/${i}`);
    expect(await post({ clientId, subscriptions: many(1001) })).toBe(400);
    expect(await post({ clientId, subscriptions: many(1000) })).toBe(204);
    expect(await post({ clientId, subscriptions: [`c/${'x'.repeat(2499)}`] })).toBe(400);
    expect(await post({ clientId, subscriptions: [`c/${'x'.repeat(2498)}`] })).toBe(204);

    expect(await post({ clientId, subscriptions: ['c/*'] }, alice.token)).toBe(204);
    expect(await post({ clientId, subscriptions: ['c/*'] }, bob.token)).toBe(403);
    expect(await post({ clientId, subscriptions: ['c/*'] })).toBe(403);
    expect(await post({ clientId, subscriptions: ['c/*'] }, alice.token)).toBe(204);
  });

  test('the event name is the full subscription; POST replaces the subscriptions', async () => {
    const c = await collection([{ name: 'title', type: 'text' }]);
    const stream = await openStream();
    const topic = `${c}/*?options=${encodeURIComponent(JSON.stringify({ query: { fields: 'id' } }))}`;
    expect(await post({ clientId: stream.clientId, subscriptions: [topic] })).toBe(204);
    const rec = await s.admin.collection(c).create({ title: 'one' });
    await settle([[stream.frames, 2]]);
    expect(stream.frames.slice(1).map((f) => [f.id, f.event, f.data && JSON.parse(f.data)])).toEqual([
      [stream.clientId, topic, ev('create', { id: rec.id })],
    ]);

    expect(await post({ clientId: stream.clientId, subscriptions: [] })).toBe(204);
    await s.admin.collection(c).create({ title: 'two' });
    await settle([]);
    expect(stream.frames).toHaveLength(2);
  });
});
