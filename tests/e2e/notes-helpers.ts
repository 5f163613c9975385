import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { signInAs } from './helpers';

/** What the notes specs share: setting up notes, recording requests and reading the data folder. */

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

/** Every file under a folder, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
