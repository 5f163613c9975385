import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

/** The page has hydrated once the setup check (run in onMount) has put the card up. */
async function waitForApp(page: Page, setupTitle = 'Finish setting up'): Promise<void> {
  await expect(page.getByRole('heading', { level: 2, name: setupTitle })).toBeVisible();
}

test('home greets in English, switches to German and keeps it across a reload', async ({
  page,
  context,
}, testInfo) => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Welcome to Hearth' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await waitForApp(page);

  const english = page.getByRole('combobox', { name: 'Language' });
  await expect(english).toHaveValue('en');
  await english.selectOption({ label: 'Deutsch' });

  await expect(page.getByRole('heading', { level: 1, name: 'Willkommen bei Hearth' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await expect(page.getByRole('combobox', { name: 'Sprache' })).toHaveValue('de');
  await expect(page.getByRole('combobox', { name: 'Language' })).toHaveCount(0);
  expect(await context.cookies()).toContainEqual(
    expect.objectContaining({ name: 'hearth_lang', value: 'de' }),
  );

  // The server renders German from the cookie; the browser does not patch it up afterwards.
  const reloaded = await page.reload();
  expect(await reloaded?.text()).toContain('<html lang="de">');
  await expect(page.getByRole('heading', { level: 1, name: 'Willkommen bei Hearth' })).toBeVisible();
  await expect(page).toHaveTitle('Start · Hearth');
  await waitForApp(page, 'Einrichtung abschließen');
  await expect(page.getByRole('combobox', { name: 'Sprache' })).toHaveValue('de');

  const screenshot = await page.screenshot({
    fullPage: true,
    path: join(testInfo.project.outputDir, 'home-de.png'),
  });
  await testInfo.attach('home-de', { body: screenshot, contentType: 'image/png' });

  // CSP violations and failed loads are reported as console errors.
  expect(problems).toEqual([]);
});

test('the page response carries the security headers', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  const headers = response!.headers();
  expect(headers['content-security-policy']).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
  expect(headers['content-security-policy']).toMatch(/(^|;)\s*script-src 'self'/);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(headers['x-frame-options']).toBe('DENY');
});

type Rgb = [number, number, number];

/** WCAG 2.2 relative luminance of an sRGB colour, 0 (black) to 1 (white). */
function luminance([r, g, b]: Rgb): number {
  const [lr, lg, lb] = [r, g, b].map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
}

function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The colour the page is painted with (body's, or the root's when body is transparent) and the h1's text. */
async function pageColours(page: Page): Promise<{ background: Rgb; text: Rgb }> {
  const [background, text] = await page.evaluate(() => {
    const opaque = (c: string) => !/^rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent';
    const body = getComputedStyle(document.body).backgroundColor;
    const root = getComputedStyle(document.documentElement).backgroundColor;
    return [opaque(body) ? body : root, getComputedStyle(document.querySelector('h1')!).color];
  });
  const parse = (css: string): Rgb => {
    const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
    if (!m) throw new Error(`unexpected colour ${css}`);
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  };
  return { background: parse(background), text: parse(text) };
}

for (const { colorScheme, check } of [
  { colorScheme: 'dark', check: (l: number) => expect(l).toBeLessThan(0.05) },
  { colorScheme: 'light', check: (l: number) => expect(l).toBeGreaterThan(0.85) },
] as const) {
  test.describe(`${colorScheme} colour scheme`, () => {
    test.use({ colorScheme });

    test(`follows the system preference with readable text`, async ({ page }) => {
      await page.goto('/');
      await expect(page.getByRole('heading', { level: 1, name: 'Welcome to Hearth' })).toBeVisible();
      const { background, text } = await pageColours(page);
      check(luminance(background));
      expect(contrast(background, text)).toBeGreaterThanOrEqual(7);
    });
  });
}

test.describe('small screen', () => {
  test.use({ viewport: { width: 375, height: 740 } });

  for (const { lang, heading, language } of [
    { lang: 'en', heading: 'Welcome to Hearth', language: 'Language' },
    { lang: 'de', heading: 'Willkommen bei Hearth', language: 'Sprache' },
  ]) {
    test(`fits 375 px without scrolling sideways (${lang})`, async ({ page, context, hearth }) => {
      await context.addCookies([{ name: 'hearth_lang', value: lang, url: hearth.url }]);
      await page.goto('/');
      await expect(page.getByRole('heading', { level: 1, name: heading })).toBeInViewport();
      await expect(page.getByRole('combobox', { name: language })).toBeInViewport();
      await waitForApp(page, lang === 'de' ? 'Einrichtung abschließen' : 'Finish setting up');
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    });
  }
});
