import { expect, test as base, type APIRequestContext } from '@playwright/test';
import { removeDir, startHearth, type HearthProcess } from '../support/hearth.js';

/**
 * `test` with a `hearth` fixture: a fresh server (own port, own temporary data folder, no superuser)
 * for every test, which `baseURL` points at, so `page.goto('/')` reaches it.
 */
export const test = base.extend<{ hearth: HearthProcess }>({
  // Playwright reads a fixture's dependencies from its first parameter, so it must be a pattern.
  // eslint-disable-next-line no-empty-pattern
  hearth: async ({}, use) => {
    const hearth = await startHearth();
    try {
      await use(hearth);
    } finally {
      await hearth.stop();
      removeDir(hearth.dir);
    }
  },
  baseURL: async ({ hearth }, use) => {
    await use(hearth.url);
  },
});

export { expect };

/** The first superuser's sign-in, as every e2e test that needs one makes it. */
export const SUPERUSER = { email: 'owner@example.com', password: 'correct horse battery' } as const;

/** Creates the first superuser through the printed setup link's code; returns its token. */
export async function superuserToken(hearth: HearthProcess, request: APIRequestContext): Promise<string> {
  const code = new URL(hearth.setupUrl!).hash.slice(1);
  const { email, password } = SUPERUSER;
  const res = await request.post('/api/hearth/setup', {
    data: { code, email, password, passwordConfirm: password },
  });
  expect(res.status()).toBe(200);
  return ((await res.json()) as { token: string }).token;
}
