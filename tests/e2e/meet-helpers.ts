import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import PocketBase from 'pocketbase';
import { CHROMIUM } from './global-setup';
import { signInAs } from './helpers';

/**
 * What the meet specs share. Chromium's fake devices stand in for a camera (a moving test pattern)
 * and a microphone (a beep every second); the screen picker is answered by the fake UI.
 */
export const MEDIA_LAUNCH = {
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
  ],
};

/**
 * Keeps every RTCPeerConnection the page makes on `window.__peerConnections`, so a test can read
 * what a tile's tracks received (getStats) without any hook in the app: the app constructs the
 * global RTCPeerConnection, which this replaces with a subclass that remembers its instances.
 */
function rememberPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections = all;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      all.push(this);
    }
  };
}

export async function mediaContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, permissions: ['camera', 'microphone'] });
  await context.addInitScript(rememberPeerConnections);
  return context;
}

/** A user account made through the API by a superuser. */
export async function createUser(
  url: string,
  superuser: string,
  email: string,
  password: string,
): Promise<void> {
  const admin = new PocketBase(url);
  admin.authStore.save(superuser, null);
  await admin.collection('users').create({ email, password, passwordConfirm: password });
}

/** Signs in, opens Meet and starts a meeting with the given options; returns its address. */
export async function startMeeting(
  page: Page,
  url: string,
  user: readonly [string, string],
  options: { password?: string; lobby?: boolean } = {},
): Promise<string> {
  await signInAs(page, url, user[0], user[1]);
  await page.goto('/meet');
  if (options.password !== undefined) {
    await page.getByRole('checkbox', { name: 'Require a password' }).check();
    await page.getByLabel('Meeting password').fill(options.password);
  }
  if (options.lobby) await page.getByRole('checkbox', { name: 'Lobby: I let each guest in' }).check();
  await page.getByRole('button', { name: 'New meeting' }).click();
  await expect(page).toHaveURL(/\/meet\/[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
  return page.url();
}

/** Fills the setup screen and presses Join. */
export async function join(page: Page, name: string, password?: string): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (password !== undefined) await page.getByLabel('Meeting password').fill(password);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
}

export function tile(page: Page, name: string) {
  return page.getByRole('figure', { name, exact: true });
}

export interface Received {
  framesDecoded: number;
  frameWidth: number;
  audioEnergy: number;
  audioPackets: number;
}

/** What this page received from the person whose tile is `name` (inbound-rtp of the tile's tracks). */
export function received(page: Page, name: string): Promise<Received> {
  return tile(page, name)
    .locator('video')
    .evaluate(async (video: HTMLVideoElement) => {
      const stream = video.srcObject as MediaStream | null;
      const out = { framesDecoded: 0, frameWidth: 0, audioEnergy: 0, audioPackets: 0 };
      const connections = (window as unknown as { __peerConnections: RTCPeerConnection[] }).__peerConnections;
      for (const pc of connections) {
        if (pc.connectionState === 'closed') continue;
        for (const receiver of pc.getReceivers()) {
          if (!stream?.getTracks().includes(receiver.track)) continue;
          (await receiver.getStats()).forEach((s: Record<string, number | string>) => {
            if (s['type'] !== 'inbound-rtp') return;
            if (s['kind'] === 'video') {
              out.framesDecoded = Number(s['framesDecoded'] ?? 0);
              out.frameWidth = Number(s['frameWidth'] ?? 0);
            } else {
              out.audioEnergy = Number(s['totalAudioEnergy'] ?? 0);
              out.audioPackets = Number(s['packetsReceived'] ?? 0);
            }
          });
        }
      }
      return out;
    });
}
