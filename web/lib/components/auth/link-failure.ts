import { ClientResponseError } from 'pocketbase';
import { describeError } from '$lib/api/client';
import type { Translate } from '$lib/i18n/i18next';

/**
 * Why a mailed link did not work, in words: no token in it, a token the server refused (used,
 * expired, for an old email), or whatever else went wrong (the network, the rate limit).
 */
export function linkFailureMessage(failure: unknown, t: Translate): string {
  if (failure === null) return t('links.incomplete');
  const shown = describeError(failure, t);
  if (shown.fields['token']) return t('links.invalid');
  if (failure instanceof ClientResponseError && (failure.status === 400 || failure.status === 404))
    return t('links.invalid');
  return shown.message;
}
