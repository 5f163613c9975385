import type { Collection } from '../collections/collection.model';

/** How a request reached the rule being checked (`@request.context`). */
export type RequestContext = 'default' | 'oauth2' | 'otp' | 'password' | 'realtime' | 'protectedFile';

/**
 * What access rules and filters may read about the request (`@request.*`), as PocketBase's
 * RequestInfo: the signed-in record, method, query, headers and the submitted body.
 */
export interface RequestInfo {
  /** The signed-in record with its stored column values, or null for a guest. */
  auth: { collection: Collection; record: Record<string, unknown> } | null;
  method: string;
  context: RequestContext;
  query: Record<string, string>;
  /** Names lower-cased with `-` turned into `_`, as PocketBase exposes them. */
  headers: Record<string, string>;
  /** The submitted values; for writes, update modifiers are applied (`tags+` shows as the final `tags`). */
  body: Record<string, unknown>;
}
