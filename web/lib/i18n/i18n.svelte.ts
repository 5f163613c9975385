import { getContext, setContext } from 'svelte';
import { translator, type Translate } from './i18next';
import { LANGUAGE_COOKIE, isLanguage, type LanguageCode } from './languages';

const KEY = Symbol('i18n');

/** The current language as Svelte state: components that call `t` re-render when it changes. */
export class I18n {
  lang = $state<LanguageCode>('en');
  #t = $derived(translator(this.lang));

  constructor(lang: LanguageCode) {
    this.lang = lang;
  }

  t: Translate = (key, options) => this.#t(key, options);

  /** Switches language at once and remembers it for a year in a cookie the server reads. */
  setLanguage(code: string): void {
    if (!isLanguage(code)) return;
    this.lang = code;
    document.documentElement.lang = code;
    document.cookie = `${LANGUAGE_COOKIE}=${code}; path=/; max-age=31536000; samesite=lax`;
  }
}

export function provideI18n(lang: LanguageCode): I18n {
  return setContext(KEY, new I18n(lang));
}

export function useI18n(): I18n {
  return getContext<I18n>(KEY);
}
