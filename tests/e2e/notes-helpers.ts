import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import PocketBase from 'pocketbase';

/** What the notes specs share: signing in, setting up notes, axe, and reading the data folder. */

/** Signs in through the SDK and hands the session to the page, as the app keeps it. */
export async function signInAs(page: Page, url: string, email: string, password: string): Promise<void> {
  const pb = new PocketBase(url);
  await pb.collection('users').authWithPassword(email, password);
  await page.goto('/');
  await page.evaluate(
    (value) => localStorage.setItem('pocketbase_auth', value),
    JSON.stringify({ token: pb.authStore.token, record: pb.authStore.record }),
  );
}

/** Signs in, sets up notes with a passphrase and puts the recovery key notice away. */
export async function setUpNotes(
  page: Page,
  url: string,
  [email, password]: readonly [string, string],
  passphrase: string,
): Promise<void> {
  await signInAs(page, url, email, password);
  await page.goto('/notes');
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirm passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Create encryption key' }).click();
  await page.getByRole('button', { name: 'I have saved it' }).click();
}

/** Every request URL and body the page sends from now on, in order. */
export function recordRequests(page: Page): string[] {
  const sent: string[] = [];
  page.on('request', (req) => {
    sent.push(req.url());
    const body = req.postData();
    if (body) sent.push(body);
  });
  return sent;
}

/** axe's serious and critical findings on the page as it is. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Every file under a folder, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
