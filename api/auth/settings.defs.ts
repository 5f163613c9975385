import { z } from 'zod';
import { defineSettings } from '../core/settings';

export const authSettings = defineSettings({
  'auth.superuserTokenDuration': {
    schema: z
      .number()
      .int()
      .min(60)
      .max(365 * 24 * 3600),
    default: 24 * 3600,
    description: 'How long a superuser sign-in lasts, in seconds.',
  },
});
