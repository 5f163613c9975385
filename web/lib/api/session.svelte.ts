import { ClientResponseError, type RecordModel } from 'pocketbase';
import { api } from './client';

/** The auth collection people sign up to and in through the web app. */
export const USERS = 'users';

/**
 * Who is signed in, as Svelte state that follows the SDK's auth store (localStorage `pocketbase_auth`,
 * shared by every page and tab of the app).
 */
class Session {
  record = $state<RecordModel | null>(null);
  /** True once the stored session has been read (before that, nobody is known to be signed in). */
  ready = $state(false);
  #started = false;

  /** Starts following the SDK; call from the browser only (onMount). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const pb = api();
    this.record = pb.authStore.isValid ? pb.authStore.record : null;
    pb.authStore.onChange((_token, record) => {
      this.record = pb.authStore.isValid ? record : null;
    });
    this.ready = true;
    // The stored record may be stale (verified elsewhere) or its token void (signed out everywhere).
    if (this.record && this.record.collectionName === USERS) void this.refresh();
  }

  /**
   * Fetches the signed-in record again with a fresh token. A token the server refuses ends the
   * session here too; a network failure keeps it.
   */
  async refresh(): Promise<void> {
    const pb = api();
    if (!pb.authStore.isValid) return;
    try {
      await pb.collection(pb.authStore.record?.collectionName ?? USERS).authRefresh({ requestKey: null });
    } catch (err) {
      if (err instanceof ClientResponseError && [401, 403, 404].includes(err.status)) pb.authStore.clear();
    }
  }

  signOut(): void {
    api().authStore.clear();
  }

  /** Ends every session of this account, on every device (the server rotates its token key). */
  async signOutEverywhere(): Promise<void> {
    await api().send('/api/hearth/sign-out-everywhere', { method: 'POST', requestKey: null });
    this.signOut();
  }
}

export const session = new Session();
