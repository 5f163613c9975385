import { ClientResponseError } from 'pocketbase';
import type { Translate } from '$lib/i18n/i18next';

/**
 * A collection save answers 400 with errors nested as the body is (`fields.2.name`, `listRule`,
 * `oauth2.providers.0.clientId`). This flattens them to dotted paths with a translated message,
 * so each input can find its own.
 */
export function fieldErrors(err: unknown, t: Translate): Map<string, string> {
  const out = new Map<string, string>();
  if (!(err instanceof ClientResponseError)) return out;
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object') return;
    const leaf = node as { code?: unknown; message?: unknown; params?: object };
    if (typeof leaf.code === 'string' && typeof leaf.message === 'string') {
      out.set(path, t(`errors.${leaf.code}`, { ...(leaf.params ?? {}), defaultValue: leaf.message }));
      return;
    }
    for (const [key, child] of Object.entries(node)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(err.response['data'], '');
  return out;
}
