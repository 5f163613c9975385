import type { RecordModel } from 'pocketbase';
import { api } from './client';

/** Who is signed in, as Svelte state that follows the SDK's auth store (localStorage `pocketbase_auth`). */
class Session {
  record = $state<RecordModel | null>(null);
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
  }

  signOut(): void {
    api().authStore.clear();
  }
}

export const session = new Session();
