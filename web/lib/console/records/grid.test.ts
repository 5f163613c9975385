import { describe, expect, test } from 'vitest';
import { clampPage, hasNextPage, pageCount, sortDirection, toggleSort } from './grid';

describe('sorting', () => {
  test('a header click sorts ascending, then flips', () => {
    expect(toggleSort('-@rowid', 'title')).toBe('title');
    expect(toggleSort('title', 'title')).toBe('-title');
    expect(toggleSort('-title', 'title')).toBe('title');
    expect(toggleSort('-title', 'n')).toBe('n');
  });

  test.each([
    ['title', 'title', 'ascending'],
    ['-title', 'title', 'descending'],
    ['-@rowid', 'title', 'none'],
    ['titles', 'title', 'none'],
  ])('sort %j on %j is %s', (sort, field, direction) => {
    expect(sortDirection(sort, field)).toBe(direction);
  });
});

describe('paging', () => {
  test.each([
    [0, 30, 1],
    [1, 30, 1],
    [30, 30, 1],
    [31, 30, 2],
    [100_000, 30, 3334],
  ])('%i items by %i → %i pages', (total, perPage, pages) => {
    expect(pageCount(total, perPage)).toBe(pages);
  });

  test('a next page is guessed from a full page until the total is known', () => {
    expect(hasNextPage(1, 30, null, 30)).toBe(true);
    expect(hasNextPage(1, 30, null, 12)).toBe(false);
    expect(hasNextPage(1, 30, 30, 30)).toBe(false);
    expect(hasNextPage(1, 30, 31, 30)).toBe(true);
  });

  test('clampPage keeps the page within the rows left', () => {
    expect(clampPage(4, 30, 60)).toBe(2);
    expect(clampPage(4, 30, 0)).toBe(1);
    expect(clampPage(2, 30, 100)).toBe(2);
  });
});
