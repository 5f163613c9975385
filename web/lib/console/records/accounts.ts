import type { RecordModel } from 'pocketbase';
import { consoleApi } from '../client';
import { identitiesFilter } from './filter';

/**
 * The account actions a superuser takes on an auth collection's records (api/auth/accounts.ts,
 * api/auth/identities.ts), through the console's SDK client.
 */

export type AuthAction = 'verify' | 'reset' | 'impersonate' | 'identities';

/** PocketBase's system collection of identities linked to accounts. */
export const EXTERNAL_AUTHS = '_externalAuths';

/** Marks the account's email as verified (only superusers and managers may). */
export async function markVerified(collection: string, record: RecordModel): Promise<RecordModel> {
  return consoleApi().collection(collection).update(record.id, { verified: true }, { requestKey: null });
}

/** Sends the account the password reset email. */
export async function sendPasswordReset(collection: string, email: string): Promise<void> {
  await consoleApi().collection(collection).requestPasswordReset(email, { requestKey: null });
}

/**
 * A token acting as the account, for `duration` seconds (0: the collection's auth token duration).
 * Not the SDK's impersonate(): it returns a whole client, and only the token is wanted here.
 */
export async function impersonate(collection: string, recordId: string, duration: number): Promise<string> {
  const pb = consoleApi();
  const path = `/api/collections/${encodeURIComponent(collection)}/impersonate/${encodeURIComponent(recordId)}`;
  const result = await pb.send<{ token?: string }>(path, {
    method: 'POST',
    body: { duration },
    requestKey: null,
  });
  return result.token ?? '';
}

/** The identities linked to an account, oldest first. */
export async function linkedIdentities(collectionId: string, recordId: string): Promise<RecordModel[]> {
  return consoleApi()
    .collection(EXTERNAL_AUTHS)
    .getFullList({ filter: identitiesFilter(collectionId, recordId), sort: 'created', requestKey: null });
}

export async function removeIdentity(identityId: string): Promise<void> {
  await consoleApi().collection(EXTERNAL_AUTHS).delete(identityId, { requestKey: null });
}
