import type { Page } from '@playwright/test';
import { superuserToken, expect, test } from './fixtures';
import { createUser, join, MEDIA_LAUNCH, mediaContext, received, startMeeting, tile } from './meet-helpers';

/**
 * Meet when the network misbehaves (issue 8): a dropped signaling socket is resumed without the
 * others seeing anyone leave, and the resumed browser restarts ICE (new ICE credentials) while the
 * media keep flowing; both sides restarting ICE at the same moment (crossing offers) is settled by
 * perfect negotiation.
 */
test.use({ launchOptions: MEDIA_LAUNCH });

const ANN = ['ann@example.com', 'ann password 12'] as const;
const WebSocketState = { open: 1, closed: 3 } as const;

/** Keeps the page's WebSockets on `window.__sockets` (the app's signaling socket among them). */
function rememberSockets(): void {
  const Native = window.WebSocket;
  const all: WebSocket[] = [];
  (window as unknown as { __sockets: WebSocket[] }).__sockets = all;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      all.push(this);
    }
  };
}

/** The ICE username fragments of the page's open peer connections (new ones after an ICE restart). */
function iceUfrags(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections
      .filter((pc) => pc.connectionState !== 'closed')
      .map((pc) => /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? '')?.[1] ?? ''),
  );
}

function connectionStates(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections
      .filter((pc) => pc.connectionState !== 'closed')
      .map((pc) => `${pc.connectionState}/${pc.signalingState}`),
  );
}

async function framesKeepComing(page: Page, name: string): Promise<void> {
  const frames = (await received(page, name)).framesDecoded;
  await expect
    .poll(async () => (await received(page, name)).framesDecoded, { timeout: 15_000 })
    .toBeGreaterThan(frames);
}

test('a dropped signaling socket resumes and restarts ICE; crossing ICE restarts settle', async ({
  browser,
  hearth,
  request,
}) => {
  test.setTimeout(120_000);
  await createUser(hearth.url, await superuserToken(hearth, request), ...ANN);
  const contexts = await Promise.all([0, 1].map(() => mediaContext(browser, hearth.url)));
  await contexts[1]!.addInitScript(rememberSockets);
  const [ann, bob] = [await contexts[0]!.newPage(), await contexts[1]!.newPage()];
  const url = await startMeeting(ann, hearth.url, ANN);
  await join(ann, 'Ann');
  await bob.goto(url);
  await join(bob, 'Bob');
  for (const [page, other] of [
    [ann, 'Bob'],
    [bob, 'Ann'],
  ] as const) {
    await expect
      .poll(async () => (await received(page, other)).framesDecoded, { timeout: 20_000 })
      .toBeGreaterThan(0);
  }
  const announcements: string[] = [];
  await ann.exposeFunction('reportAnnouncement', (text: string) => announcements.push(text));
  await ann.evaluate(() => {
    const live = document.querySelector('[aria-live="polite"]')!;
    new MutationObserver(() =>
      (window as unknown as { reportAnnouncement(t: string): void }).reportAnnouncement(
        live.textContent ?? '',
      ),
    ).observe(live, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });

  // Bob's signaling socket drops (a close that is not a goodbye): he reconnects and resumes his seat.
  const [bobUfrag] = await iceUfrags(bob);
  const [annUfrag] = await iceUfrags(ann);
  await bob.evaluate(() => {
    const sockets = (window as unknown as { __sockets: WebSocket[] }).__sockets;
    sockets
      .filter((s) => s.url.includes('/api/hearth/meet/'))
      .at(-1)!
      .close(3000, 'network change');
  });
  // The resumed side offers an ICE restart: new credentials on both ends, the connection kept.
  await expect.poll(async () => (await iceUfrags(bob))[0], { timeout: 15_000 }).not.toBe(bobUfrag);
  await expect.poll(async () => (await iceUfrags(ann))[0], { timeout: 15_000 }).not.toBe(annUfrag);
  await expect.poll(() => connectionStates(bob), { timeout: 15_000 }).toEqual(['connected/stable']);
  await framesKeepComing(ann, 'Bob');
  await framesKeepComing(bob, 'Ann');
  // Ann never saw Bob leave: same tile, no "left" or "joined" announcement.
  await expect(tile(ann, 'Bob')).toBeVisible();
  expect(announcements.filter((a) => a.includes('Bob'))).toEqual([]);
  // Bob's socket is a new one, and the only meet socket open.
  expect(
    await bob.evaluate(() =>
      (window as unknown as { __sockets: WebSocket[] }).__sockets
        .filter((s) => s.url.includes('/api/hearth/meet/'))
        .map((s) => s.readyState),
    ),
  ).toEqual([WebSocketState.closed, WebSocketState.open]);

  // Both restart ICE at once: their offers cross, the polite side yields, and both end connected.
  const before = [(await iceUfrags(ann))[0], (await iceUfrags(bob))[0]];
  const restartAll = () => {
    for (const pc of (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections) {
      if (pc.connectionState !== 'closed') pc.restartIce();
    }
  };
  await Promise.all([ann.evaluate(restartAll), bob.evaluate(restartAll)]);
  await expect.poll(async () => (await iceUfrags(ann))[0], { timeout: 15_000 }).not.toBe(before[0]);
  await expect.poll(async () => (await iceUfrags(bob))[0], { timeout: 15_000 }).not.toBe(before[1]);
  for (const page of [ann, bob]) {
    await expect.poll(() => connectionStates(page), { timeout: 15_000 }).toEqual(['connected/stable']);
  }
  await framesKeepComing(ann, 'Bob');
  await framesKeepComing(bob, 'Ann');

  await Promise.all(contexts.map((c) => c.close()));
});

test('an offer lost on the way is sent again, and the two connect', async ({ browser, hearth, request }) => {
  test.setTimeout(90_000);
  await createUser(hearth.url, await superuserToken(hearth, request), ...ANN);
  const contexts = await Promise.all([0, 1].map(() => mediaContext(browser, hearth.url)));
  const [ann, bob] = [await contexts[0]!.newPage(), await contexts[1]!.newPage()];
  // Bob's socket passes through the test, which drops his first offer (as the server drops signals
  // to a peer whose socket is away).
  const dropped: string[] = [];
  await bob.routeWebSocket(/\/api\/hearth\/meet\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const text = String(message);
      if (dropped.length === 0 && /"type":"signal"/.test(text) && /"type":"offer"/.test(text)) {
        dropped.push(text);
        return;
      }
      server.send(message);
    });
  });
  const url = await startMeeting(ann, hearth.url, ANN);
  await join(ann, 'Ann');
  await bob.goto(url);
  await join(bob, 'Bob');
  await expect.poll(() => dropped.length).toBe(1);
  for (const [page, other] of [
    [ann, 'Bob'],
    [bob, 'Ann'],
  ] as const) {
    await expect
      .poll(async () => (await received(page, other)).framesDecoded, { timeout: 30_000 })
      .toBeGreaterThan(0);
  }
  await Promise.all(contexts.map((c) => c.close()));
});

test('a join whose signaling socket never opens says the server cannot be reached', async ({
  browser,
  hearth,
  request,
}) => {
  await createUser(hearth.url, await superuserToken(hearth, request), ...ANN);
  const context = await mediaContext(browser, hearth.url);
  const page = await context.newPage();
  await startMeeting(page, hearth.url, ANN);
  // A proxy that does not pass WebSockets: every attempt closes at once.
  let attempts = 0;
  await page.routeWebSocket(/\/api\/hearth\/meet\//, (ws) => {
    attempts += 1;
    void ws.close({ code: 1011, reason: 'no upstream' });
  });
  await join(page, 'Ann');
  await expect(page.getByRole('alert').filter({ hasText: 'The server cannot be reached.' })).toBeVisible({
    timeout: 15_000,
  });
  expect(attempts).toBe(3);
  // Back at the setup screen, free to try again.
  await expect(page.getByRole('button', { name: 'Join', exact: true })).toBeEnabled();
  await context.close();
});
