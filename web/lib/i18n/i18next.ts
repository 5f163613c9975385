import i18next, { type TOptions } from 'i18next';
import { DEFAULT_LANGUAGE, LANGUAGES } from './languages';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** locales/<lng>/<namespace>.json, bundled at build time. */
function loadResources(): Resources {
  const files = import.meta.glob<Record<string, unknown>>('/locales/*/*.json', {
    eager: true,
    import: 'default',
  });
  const resources: Resources = {};
  for (const [path, content] of Object.entries(files)) {
    const m = /\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
    if (!m) continue;
    (resources[m[1]!] ??= {})[m[2]!] = content;
  }
  return resources;
}

export const resources = loadResources();
export const NAMESPACES = Object.keys(resources[DEFAULT_LANGUAGE] ?? {});

/** One i18next instance for the whole app; every language is loaded, so `getFixedT` never waits. */
const instance = i18next.createInstance();
void instance.init({
  resources,
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  supportedLngs: LANGUAGES.map((l) => l.code),
  ns: NAMESPACES,
  defaultNS: 'common',
  interpolation: { escapeValue: false }, // Svelte escapes when it renders
  initAsync: false,
  returnNull: false,
});

export type Translate = (key: string, options?: TOptions) => string;

/** A translate function bound to one language (no shared mutable language: safe during SSR). */
export function translator(lang: string): Translate {
  const t = instance.getFixedT(lang);
  return (key, options) => t(key, options) as string;
}
