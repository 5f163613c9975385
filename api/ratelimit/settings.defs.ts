import { z } from 'zod';
import { defineSettings } from '../core/settings';
import { rateLimitRulesSchema, type RateLimitRule } from './ratelimit.rules';

/**
 * On by default (PocketBase ships them off), limiting only what protects accounts and mailboxes:
 * sign-ins, the endpoints that send mail and the unauthenticated SIWE nonce endpoint. Ordinary
 * record traffic is not limited (one client may create thousands of records a second); add rules
 * such as `/api/` or `*:create` for that.
 */
export const DEFAULT_RATE_LIMIT_RULES: RateLimitRule[] = [
  // Password (and OTP, OAuth2, wallet) guessing: a burst is stopped after 5 failed sign-ins in 10 s,
  // and slow guessing gets at most 20 failures an hour — per client address, collection and method.
  // A sign-in that succeeds is not counted (see api/ratelimit/index.ts).
  { label: '*:auth', audience: '', duration: 10, maxRequests: 5 },
  { label: '*:auth', audience: '', duration: 3600, maxRequests: 20 },
  // Each of these sends an email: 3 a minute and 10 an hour per client address and collection.
  { label: '*:requestVerification', audience: '', duration: 60, maxRequests: 3 },
  { label: '*:requestVerification', audience: '', duration: 3600, maxRequests: 10 },
  { label: '*:requestPasswordReset', audience: '', duration: 60, maxRequests: 3 },
  { label: '*:requestPasswordReset', audience: '', duration: 3600, maxRequests: 10 },
  { label: '*:requestEmailChange', audience: '', duration: 60, maxRequests: 3 },
  { label: '*:requestEmailChange', audience: '', duration: 3600, maxRequests: 10 },
  { label: '*:requestOTP', audience: '', duration: 60, maxRequests: 3 },
  { label: '*:requestOTP', audience: '', duration: 3600, maxRequests: 10 },
  // Anyone may ask for a Sign-In with Ethereum nonce, and the store keeps the newest NONCE_CAP
  // (api/auth/siwe.nonces.ts): a flood from one address must not push out a nonce someone is still
  // signing. A wallet sign-in takes one; 30 a minute leaves room for retries and several tabs. No
  // method in the label, so HEAD (answered by the GET route) counts too.
  { label: '/api/hearth/siwe/nonce', audience: '', duration: 60, maxRequests: 30 },
  // Finding whom to share a note with answers whether an exact address has set up notes: enough
  // for a person typing addresses, too slow to test a list of them. Guests get 401 at once.
  { label: '/api/hearth/notes/recipient', audience: '@auth', duration: 60, maxRequests: 30 },
];

/** PocketBase's `rateLimits` settings: `{enabled, rules: [{label, audience, duration, maxRequests}]}`. */
export const rateLimitSettings = defineSettings({
  'rateLimits.enabled': {
    schema: z.boolean(),
    default: true,
    description: 'Whether the rate limit rules apply (superusers are never limited).',
  },
  'rateLimits.rules': {
    schema: rateLimitRulesSchema,
    default: DEFAULT_RATE_LIMIT_RULES,
    description:
      'Rate limit rules as PocketBase: {label, audience, duration (s), maxRequests}; label a tag (users:auth, *:create) or a path (/api/, POST /api/batch).',
  },
});
