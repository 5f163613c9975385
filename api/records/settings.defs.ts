import { z } from 'zod';
import { defineSettings } from '../core/settings';

/** PocketBase's batch settings: off by default; when on, limits on size, count and time. */
export const recordSettings = defineSettings({
  'batch.enabled': {
    schema: z.boolean(),
    default: false,
    description: 'Whether POST /api/batch runs several record writes in one transaction.',
  },
  'batch.maxRequests': {
    schema: z.number().int().min(1).max(10000),
    default: 50,
    description: 'Most requests one batch may hold.',
  },
  'batch.timeout': {
    schema: z.number().int().min(1).max(3600),
    default: 3,
    description: 'Seconds a batch may run before it is rolled back.',
  },
  'batch.maxBodySize': {
    schema: z
      .number()
      .int()
      .min(0)
      .max(2 ** 40),
    default: 0,
    description: 'Largest batch body in bytes; 0 means 128 MiB.',
  },
});
