import PocketBase, { ClientResponseError } from 'pocketbase';
import type { Translate } from '$lib/i18n/i18next';

let client: PocketBase | undefined;

/**
 * The one PocketBase SDK client of the web app, talking to the Hearth that served the page. Browser
 * only: pages load their data client-side, so server rendering never calls the API over HTTP.
 */
export function api(): PocketBase {
  client ??= new PocketBase(window.location.origin);
  return client;
}

export interface ShownError {
  /** One sentence for an alert. */
  message: string;
  /** Per-field messages, keyed by field name. */
  fields: Record<string, string>;
}

/**
 * Turns an SDK error into text for the user: the server's message, with field messages translated
 * where Hearth knows the validation code.
 */
export function describeError(err: unknown, t: Translate): ShownError {
  if (!(err instanceof ClientResponseError)) return { message: t('errors.generic'), fields: {} };
  if (err.status === 0) return { message: t('errors.network'), fields: {} };
  // The rate limit (`Too Many Requests.`) deserves words a person understands, in their language.
  if (err.status === 429) return { message: t('errors.tooManyRequests'), fields: {} };
  const fields: Record<string, string> = {};
  const data = (err.response['data'] ?? {}) as Record<
    string,
    { code?: string; message?: string; params?: object }
  >;
  for (const [field, e] of Object.entries(data)) {
    if (!e || typeof e !== 'object') continue;
    fields[field] = e.code
      ? t(`errors.${e.code}`, { ...(e.params ?? {}), defaultValue: e.message ?? t('errors.generic') })
      : (e.message ?? t('errors.generic'));
  }
  // The server's sentence for a 400 with field errors is English and says nothing the fields don't.
  if (Object.keys(fields).length > 0) return { message: t('errors.checkFields'), fields };
  return { message: err.message || t('errors.generic'), fields };
}
