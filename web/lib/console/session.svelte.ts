import { ClientResponseError, type RecordModel } from 'pocketbase';
import { consoleApi, SUPERUSERS } from './client';

/** The superuser signed in to the console, as Svelte state following the console's auth store. */
class ConsoleSession {
  record = $state<RecordModel | null>(null);
  /** True once the stored session has been checked with the server. */
  ready = $state(false);
  #started = false;

  /** Reads the stored session and renews its token; call from the browser only. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const pb = consoleApi();
    pb.authStore.onChange(() => {
      this.record = this.#superuser();
    });
    this.record = this.#superuser();
    if (this.record) {
      try {
        await pb.collection(SUPERUSERS).authRefresh({ requestKey: null });
      } catch (err) {
        // A refused token ends the session; a network failure keeps it (the pages will say so).
        if (err instanceof ClientResponseError && err.status !== 0) pb.authStore.clear();
      }
    }
    this.ready = true;
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
