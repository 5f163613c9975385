import type { AuthMethodsList } from 'pocketbase';
import type { Translate } from '$lib/i18n/i18next';
import { api } from './client';
import { USERS } from './session.svelte';

let cached: Promise<AuthMethodsList> | undefined;

/** The users collection's sign-in methods (auth-methods), fetched once per page load. */
export function authMethods(): Promise<AuthMethodsList> {
  cached ??= api()
    .collection(USERS)
    .listAuthMethods({ requestKey: null })
    .catch((err: unknown) => {
      cached = undefined; // ask again next time
      throw err;
    });
  return cached;
}

/** The button text for an OAuth2 provider: Google by its name, others by their displayName. */
export function providerButtonLabel(provider: { name: string; displayName?: string }, t: Translate): string {
  if (provider.name === 'google') return t('auth.withGoogle');
  return t('auth.withProvider', { provider: provider.displayName || provider.name });
}
