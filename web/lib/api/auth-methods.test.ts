import { describe, expect, test } from 'vitest';
import { translator } from '$lib/i18n/i18next';
import { providerButtonLabel } from './auth-methods';

describe('providerButtonLabel', () => {
  test.each([
    ['en', { name: 'google', displayName: 'Google' }, 'Sign in with Google'],
    ['de', { name: 'google', displayName: 'Google' }, 'Mit Google anmelden'],
    ['en', { name: 'oidc', displayName: 'Company SSO' }, 'Sign in with Company SSO'],
    ['de', { name: 'oidc', displayName: 'Firmen-SSO' }, 'Mit Firmen-SSO anmelden'],
    ['en', { name: 'gitea', displayName: '' }, 'Sign in with gitea'],
  ])('%s %j → %s', (lang, provider, label) => {
    expect(providerButtonLabel(provider, translator(lang))).toBe(label);
  });
});
