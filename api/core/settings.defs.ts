import { z } from 'zod';
import { defineSettings } from './settings';

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Settings of the core: the app's name and address, HTTP limits and the trusted reverse proxy. */
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
  'trustedProxy.headers': {
    schema: z.array(z.string().trim().regex(HEADER_NAME, 'Must be an HTTP header name.')).max(10),
    default: [],
    description:
      'Headers from which a reverse proxy in front of Hearth gives the client IP (X-Forwarded-For, X-Real-IP); the first present wins. Empty: the connection address (trust none).',
  },
  'trustedProxy.useLeftmostIP': {
    schema: z.boolean(),
    default: false,
    description:
      'Take the leftmost IP of a comma-separated trusted header instead of the rightmost (the one the proxy added): only when the proxy overwrites the header a client sent, or every hop in the chain is trusted.',
  },
});
