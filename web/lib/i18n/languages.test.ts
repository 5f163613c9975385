import { describe, expect, test } from 'vitest';
import { pickLanguage } from './languages';

describe('pickLanguage', () => {
  test.each([
    [undefined, undefined, 'en'],
    [undefined, 'de-DE,de;q=0.9,en;q=0.8', 'de'],
    [undefined, 'de-AT', 'de'],
    [undefined, 'fr-FR,fr;q=0.9,de;q=0.5,en;q=0.4', 'de'],
    [undefined, 'en;q=0.5,de;q=0.8', 'de'],
    [undefined, 'de;q=0,en', 'en'],
    [undefined, 'fr, it', 'en'],
    [undefined, 'garbage;;;q=abc,,', 'en'],
    ['de', 'en-US', 'de'],
    ['xx', 'de', 'de'],
    ['en', 'de', 'en'],
  ])('cookie %j, Accept-Language %j → %s', (cookie, accept, expected) => {
    expect(pickLanguage(cookie, accept)).toBe(expected);
  });
});
