/**
 * The highest version of each note this browser has opened, kept across reloads, so a server that
 * later serves an older ciphertext with its older version number (a rollback: a consistent pair the
 * cipher alone cannot refuse, docs/notes-crypto.md) is caught. Kept in the browser, not on the
 * server — the server is what it guards against. Only ids and numbers: no content, no keys.
 */
export interface SeenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const PREFIX = 'hearth_notes_seen:';

export class SeenVersions {
  readonly #storage: SeenStorage | null;
  readonly #key: string;
  #versions = new Map<string, number>();

  constructor(storage: SeenStorage | null, userId: string) {
    this.#storage = storage;
    this.#key = PREFIX + userId;
    this.#versions = read(storage, this.#key);
  }

  /** The highest version seen of a note, 0 when none. */
  get(id: string): number {
    return this.#versions.get(id) ?? 0;
  }

  /** Whether `version` is older than one already seen. */
  isRollback(id: string, version: number): boolean {
    return version < this.get(id);
  }

  /** Records a version seen (never lowers the mark) and stores the marks. */
  note(id: string, version: number): void {
    if (version <= this.get(id)) return;
    this.#versions.set(id, version);
    this.#write();
  }

  /** A deleted note: its mark goes too. */
  forget(id: string): void {
    if (this.#versions.delete(id)) this.#write();
  }

  #write(): void {
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(Object.fromEntries(this.#versions)));
    } catch {
      // Storage full or disabled: the marks still hold until the page closes.
    }
  }
}

/** The stored marks; anything unreadable counts as none (a damaged entry must not lock notes out). */
function read(storage: SeenStorage | null, key: string): Map<string, number> {
  const out = new Map<string, number>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage?.getItem(key) ?? '{}');
  } catch {
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return out;
  for (const [id, v] of Object.entries(parsed)) {
    if (Number.isSafeInteger(v) && (v as number) > 0) out.set(id, v as number);
  }
  return out;
}

/** The browser's localStorage when there is one. */
export function browserStorage(): SeenStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // disabled by the browser's settings
  }
}
