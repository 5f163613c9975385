import { test as base } from '@playwright/test';
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

export { expect } from '@playwright/test';
