import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import PocketBase from 'pocketbase';

/** What every app's specs share: signing in as a user, and axe. */

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

/** axe's serious and critical findings on the page as it is. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
