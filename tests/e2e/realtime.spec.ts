import { join } from 'node:path';
import type PocketBase from 'pocketbase';
import type { RecordModel } from 'pocketbase';
import { ROOT } from '../support/hearth.js';
import { expect, superuserToken, test } from './fixtures';

/**
 * The official SDK's realtime in a real browser: `subscribe`/`unsubscribe` unchanged, over Chromium's
 * native EventSource, under the app's Content-Security-Policy. The page loads the SDK's browser build
 * from its own origin, as an app served next to Hearth would (`script-src 'self'` refuses the inline
 * script that `addScriptTag({ path })` would inject); the browser fetches it, Playwright answers.
 */
const SDK = join(ROOT, 'node_modules/pocketbase/dist/pocketbase.umd.js');
const SDK_URL = '/e2e-sdk/pocketbase.umd.js';

type Seen = { action: string; record: RecordModel };
/** What the page keeps on `window` between evaluations. */
interface BrowserSide {
  PocketBase: typeof PocketBase;
  pb: PocketBase;
  events: Seen[];
  /** A second client that stays subscribed: it shows when an event has gone out. */
  control: Seen[];
  unsubscribe: () => Promise<void>;
}

test('the SDK subscribes and unsubscribes in the browser with the native EventSource', async ({
  page,
  hearth,
  request,
}) => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  const token = await superuserToken(hearth, request);
  const headers = { Authorization: token };
  const name = 'memos';
  const created = await request.post('/api/collections', {
    headers,
    data: { name, type: 'base', listRule: '', viewRule: '', fields: [{ name: 'title', type: 'text' }] },
  });
  expect(created.status()).toBe(200);
  const api = async (method: 'post' | 'patch' | 'delete', path: string, data?: object) => {
    const res = await request[method](`/api/collections/${name}/records${path}`, { headers, data });
    expect(res.status(), `${method} ${path}`).toBe(method === 'delete' ? 204 : 200);
    return method === 'delete' ? undefined : ((await res.json()) as RecordModel);
  };

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Welcome to Hearth' })).toBeVisible();
  await page.route(SDK_URL, (route) => route.fulfill({ path: SDK, contentType: 'text/javascript' }));
  await page.addScriptTag({ url: SDK_URL });

  const connected = await page.evaluate(async (collection) => {
    const w = window as unknown as BrowserSide;
    w.events = [];
    w.control = [];
    w.pb = new w.PocketBase(location.origin);
    w.unsubscribe = await w.pb
      .collection(collection)
      .subscribe('*', (e) => w.events.push({ action: e.action, record: e.record }));
    const control = new w.PocketBase(location.origin);
    await control
      .collection(collection)
      .subscribe('*', (e) => w.control.push({ action: e.action, record: e.record }));
    return {
      clientId: w.pb.realtime.clientId,
      isConnected: w.pb.realtime.isConnected,
      native: Function.prototype.toString.call(EventSource).includes('[native code]'),
    };
  }, name);
  expect(connected).toEqual({ clientId: expect.stringMatching(/^\S+$/), isConnected: true, native: true });

  const one = (await api('post', '', { title: 'one' }))!;
  const two = (await api('patch', `/${one.id}`, { title: 'two' }))!;
  await api('delete', `/${one.id}`);
  const lifecycle = [
    { action: 'create', record: one },
    { action: 'update', record: two },
    { action: 'delete', record: two },
  ];
  const events = () => page.evaluate(() => (window as unknown as BrowserSide).events);
  const control = () => page.evaluate(() => (window as unknown as BrowserSide).control);
  await expect.poll(events).toEqual(lifecycle);
  await expect.poll(control).toEqual(lifecycle);

  const disconnected = await page.evaluate(async () => {
    const w = window as unknown as BrowserSide;
    await w.unsubscribe();
    return w.pb.realtime.isConnected;
  });
  expect(disconnected).toBe(false);
  // The browser closed its stream: the server forgets the client.
  await expect
    .poll(async () => {
      const res = await request.post('/api/realtime', {
        data: { clientId: connected.clientId, subscriptions: [] },
      });
      return res.status();
    })
    .toBe(404);

  const three = (await api('post', '', { title: 'three' }))!;
  // Once the control client has the new record, it has gone out; the unsubscribed one got nothing.
  await expect.poll(control).toEqual([...lifecycle, { action: 'create', record: three }]);
  expect(await events()).toEqual(lifecycle);

  // No CSP violation or failed request along the way.
  expect(problems).toEqual([]);
});
