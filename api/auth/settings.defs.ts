import { z } from 'zod';
import { defineSettings } from '../core/settings';

/** Settings of the auth capability (Hearth's own; PocketBase keeps auth options per collection). */
export const authSettings = defineSettings({
  'siwe.chainIds': {
    schema: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)).min(1).max(100),
    default: [1],
    description:
      'EIP-155 chain ids a Sign-In with Ethereum message may name; others are refused. The first is the one the web app asks wallets to sign for (an ordinary wallet signs the same on every chain).',
  },
});
