import { describeError } from '$lib/api/client';
import type { Translate } from '$lib/i18n/i18next';

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

const SHOWN_MS = 6000;

/** Short messages at the corner of the console: what just happened, or what went wrong. */
class Toasts {
  list = $state<Toast[]>([]);
  #next = 1;

  ok(text: string): void {
    this.#push('ok', text);
  }

  /** Shows the server's message for a failed call (translated where Hearth knows the code). */
  error(err: unknown, t: Translate): void {
    const shown = describeError(err, t);
    const fields = Object.entries(shown.fields).map(([name, message]) => `${name}: ${message}`);
    this.#push('error', [shown.message, ...fields].join(' '));
  }

  dismiss(id: number): void {
    this.list = this.list.filter((t) => t.id !== id);
  }

  #push(kind: Toast['kind'], text: string): void {
    const id = this.#next++;
    this.list = [...this.list.slice(-4), { id, kind, text }];
    setTimeout(() => this.dismiss(id), SHOWN_MS);
  }
}

export const toasts = new Toasts();
