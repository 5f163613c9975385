/**
 * The languages Hearth ships. Names are written in their own language, as language menus do, so
 * a reader finds theirs whatever the current language is.
 */
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'de', name: 'Deutsch' },
] as const;

export type LanguageCode = (typeof LANGUAGES)[number]['code'];
export const DEFAULT_LANGUAGE: LanguageCode = 'en';
export const LANGUAGE_COOKIE = 'hearth_lang';

export function isLanguage(code: unknown): code is LanguageCode {
  return LANGUAGES.some((l) => l.code === code);
}

/**
 * The language for a request: a supported cookie value wins, then the best Accept-Language match
 * (by q-value, then order; `de-AT` matches `de`), then English.
 */
export function pickLanguage(
  cookie: string | undefined | null,
  acceptLanguage: string | undefined | null,
): LanguageCode {
  if (isLanguage(cookie)) return cookie;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { base: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.base && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return (ranked.map((r) => r.base).find(isLanguage) as LanguageCode | undefined) ?? DEFAULT_LANGUAGE;
}
