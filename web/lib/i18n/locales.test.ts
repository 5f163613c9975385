import { describe, expect, test } from 'vitest';
import { LANGUAGES } from './languages';
import { resources, translator } from './i18next';

type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const variables = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  const english = resources['en']!;

  test('every shipped language has every namespace', () => {
    for (const { code } of LANGUAGES)
      expect(Object.keys(resources[code] ?? {}).sort()).toEqual(Object.keys(english).sort());
  });

  for (const { code } of LANGUAGES.filter((l) => l.code !== 'en')) {
    test(`${code} translates every English key, no more, with the same variables`, () => {
      for (const [ns, tree] of Object.entries(english)) {
        const en = flatten(tree as Tree);
        const other = flatten((resources[code]![ns] ?? {}) as Tree);
        expect([...other.keys()].sort(), `${code}/${ns}.json keys`).toEqual([...en.keys()].sort());
        for (const [key, text] of en) {
          expect(other.get(key)!.trim(), `${code}/${ns}:${key} is empty`).not.toBe('');
          expect(variables(other.get(key)!), `${code}/${ns}:${key} variables`).toEqual(variables(text));
        }
      }
    });
  }

  test('translator interpolates and falls back to English for a missing key', () => {
    expect(translator('de')('header.signedInAs', { email: 'a@b.c' })).toBe('Angemeldet als a@b.c');
    expect(translator('en')('home.welcome')).toBe('Welcome to Hearth');
    expect(translator('de')('home.welcome')).toBe('Willkommen bei Hearth');
  });
});
