import { describe, expect, test } from 'vitest';
import { CONSOLE_PAGES, currentPage } from './nav';

describe('console navigation', () => {
  test('a page and everything under it belong to its entry', () => {
    expect(currentPage('/_/collections')?.path).toBe('/_/collections');
    expect(currentPage('/_/collections/abc/edit')?.path).toBe('/_/collections');
    expect(currentPage('/_/logs')?.path).toBe('/_/logs');
  });

  test('a path that only shares a prefix with an entry does not belong to it', () => {
    expect(currentPage('/_/logsx')).toBeUndefined();
    expect(currentPage('/_/')).toBeUndefined();
  });

  test('every entry is a distinct path under /_/ with a console label', () => {
    const paths = CONSOLE_PAGES.map((p) => p.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const p of CONSOLE_PAGES) {
      expect(p.path).toMatch(/^\/_\/[a-z-]+$/);
      expect(p.label).toMatch(/^console:nav\./);
    }
  });
});
