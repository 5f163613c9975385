import { ClientResponseError, type RecordModel } from 'pocketbase';
import { consoleApi, SUPERUSERS } from './client';

/** The superuser signed in to the console, as Svelte state following the console's auth store. */
class ConsoleSession {
  record = $state<RecordModel | null>(null);
  /** True once the stored session has been checked with the server. */
  ready = $state(false);
  #started = false;

  /**
   * Reads the stored session and renews its token in the background; call from the browser only.
   * Pages show at once with the stored token (its signature and expiry are the server's to judge on
   * every call); a renewal the server refuses ends the session and brings back the sign-in form.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const pb = consoleApi();
    pb.authStore.onChange(() => {
      this.record = this.#superuser();
    });
    this.record = this.#superuser();
    this.ready = true;
    if (this.record) {
      pb.collection(SUPERUSERS)
        .authRefresh({ requestKey: null })
        .catch((err: unknown) => {
          // A network failure keeps the session (the pages will say the server is unreachable).
          if (err instanceof ClientResponseError && err.status !== 0) pb.authStore.clear();
        });
    }
  }

  async signIn(email: string, password: string): Promise<void> {
    await consoleApi().collection(SUPERUSERS).authWithPassword(email, password, { requestKey: null });
  }

  signOut(): void {
    consoleApi().authStore.clear();
  }

  #superuser(): RecordModel | null {
    const store = consoleApi().authStore;
    return store.isValid && store.record?.collectionName === SUPERUSERS ? store.record : null;
  }
}

export const consoleSession = new ConsoleSession();
