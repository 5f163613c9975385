import { ensureDebianPackage } from '../support/debian';

/** Where Debian's `chromium` package puts the browser; playwright.config.ts launches this one. */
export const CHROMIUM = '/usr/bin/chromium';

/** The end-to-end tests drive Debian's Chromium rather than Playwright's downloaded build. */
export default function ensureChromium(): void {
  ensureDebianPackage({ file: CHROMIUM, pkg: 'chromium', why: 'The end-to-end tests' });
}
