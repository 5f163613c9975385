import { z } from 'zod';
import { defineSettings } from '../core/settings';

/**
 * PocketBase's `logs` settings (core/settings_model.go LogsConfig), read on every write, so a change
 * applies to the next request.
 */
export const logsSettings = defineSettings({
  'logs.maxDays': {
    // No real upper bound in PocketBase; this one only keeps the cutoff date in range.
    schema: z.number().int().min(0).max(100_000),
    default: 5,
    description: 'Days a log entry is kept (in auxiliary.db). 0 keeps none: nothing is written.',
  },
  'logs.minLevel': {
    schema: z.number().int().min(-1000).max(1000),
    default: 0,
    description:
      'Lowest level written: -4 debug, 0 info (every request), 4 warn, 8 error (only failed requests).',
  },
  'logs.logIP': {
    schema: z.boolean(),
    default: true,
    description: "Whether request entries keep the client's IP (userIP) and the connection's (remoteIP).",
  },
  'logs.logAuthId': {
    schema: z.boolean(),
    default: false,
    description: 'Whether request entries keep the id of the signed-in record (authId).',
  },
});
