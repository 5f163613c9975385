import type { SeenStorage } from './seen-versions';

const PREFIX = 'hearth_notes_keys_seen:';
/** Wrapped keys remembered as retired per note; a note is re-keyed once per revoked share. */
const RETIRED_PER_NOTE = 20;

/**
 * Which wrapped note key each note was last opened with, and which ones it has moved on from. After
 * a re-key (a revoked share) the old key still opens content sealed under it, and the revoked user
 * holds it: a server that served a newer version sealed by them under the old key, beside the old
 * wrapped key, would be believed, and the app would go on saving under that key. A wrapped key once
 * replaced is therefore never accepted again for that note in this browser. Kept beside the
 * version marks (seen-versions.ts), for the same reason: the server is what it guards against.
 */
export class KeyMarks {
  readonly #storage: SeenStorage | null;
  readonly #key: string;
  #marks: Record<string, { current: string; retired: string[] }>;

  constructor(storage: SeenStorage | null, userId: string) {
    this.#storage = storage;
    this.#key = PREFIX + userId;
    this.#marks = read(storage, this.#key);
  }

  /** Whether a note moved on from this wrapped key. */
  isRetired(id: string, wrapped: string): boolean {
    return this.#marks[id]?.retired.includes(wrapped) === true;
  }

  /** The note opened with `wrapped`: a different key it had before is retired. */
  use(id: string, wrapped: string): void {
    const mark = this.#marks[id];
    if (mark?.current === wrapped) return;
    const retired = mark ? [mark.current, ...mark.retired].slice(0, RETIRED_PER_NOTE) : [];
    this.#marks[id] = { current: wrapped, retired };
    this.#write();
  }

  forget(id: string): void {
    if (!(id in this.#marks)) return;
    delete this.#marks[id];
    this.#write();
  }

  #write(): void {
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(this.#marks));
    } catch {
      // Storage full or disabled: the marks still hold for this page.
    }
  }
}

function read(
  storage: SeenStorage | null,
  key: string,
): Record<string, { current: string; retired: string[] }> {
  const out: Record<string, { current: string; retired: string[] }> = {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage?.getItem(key) ?? '{}');
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return out;
  for (const [id, v] of Object.entries(parsed as Record<string, unknown>)) {
    const mark = v as { current?: unknown; retired?: unknown };
    if (typeof mark?.current !== 'string' || !Array.isArray(mark.retired)) continue;
    out[id] = {
      current: mark.current,
      retired: mark.retired.filter((w): w is string => typeof w === 'string').slice(0, RETIRED_PER_NOTE),
    };
  }
  return out;
}
