/**
 * The console's pages, in menu order. A capability adds its page with one route folder under
 * web/routes/_/ and one entry here (its label is a key in locales/<lng>/console.json `nav`).
 */
import type { Pathname } from '$app/types';

export interface ConsolePage {
  /** The route, under /_/. */
  path: Pathname;
  /** i18n key of the menu label. */
  label: string;
  /** A one-character glyph shown beside the label (decorative). */
  icon: string;
}

export const CONSOLE_PAGES: readonly ConsolePage[] = [
  { path: '/_/collections', label: 'console:nav.collections', icon: '▦' },
  { path: '/_/logs', label: 'console:nav.logs', icon: '≡' },
  { path: '/_/settings', label: 'console:nav.settings', icon: '⚙' },
  { path: '/_/backups', label: 'console:nav.backups', icon: '⛁' },
  { path: '/_/jobs', label: 'console:nav.jobs', icon: '⟳' },
  { path: '/_/migrations', label: 'console:nav.migrations', icon: '⇅' },
];

/** The page a path belongs to (the longest matching prefix), for marking the current menu entry. */
export function currentPage(pathname: string): ConsolePage | undefined {
  return CONSOLE_PAGES.filter((p) => pathname === p.path || pathname.startsWith(`${p.path}/`)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}
