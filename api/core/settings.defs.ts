import { z } from 'zod';
import { defineSettings } from './settings';

/** Settings of the core: the app's name and address, and HTTP limits. */
export const coreSettings = defineSettings({
  'meta.appName': {
    schema: z.string().trim().min(1).max(100),
    default: 'Hearth',
    description: 'Name shown in the web app, page titles and emails.',
  },
  'meta.appURL': {
    schema: z.url({ protocol: /^https?$/ }).max(2000),
    default: 'http://127.0.0.1:8090',
    description: 'Public address of this Hearth, used in links it sends.',
  },
  'http.maxBodySize': {
    schema: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 40),
    default: 32 * 1024 * 1024,
    description: 'Largest request body the API accepts, in bytes (413 above it).',
  },
});
