import type { Handle } from '@sveltejs/kit';
import { LANGUAGE_COOKIE, pickLanguage } from '$lib/i18n/languages';

export const handle: Handle = async ({ event, resolve }) => {
  const lang = pickLanguage(event.cookies.get(LANGUAGE_COOKIE), event.request.headers.get('accept-language'));
  event.locals.lang = lang;
  return resolve(event, { transformPageChunk: ({ html }) => html.replace('%lang%', lang) });
};
