import { ClientResponseError, type RecordModel } from 'pocketbase';
import { api } from '$lib/api/client';
import { newNoteKey, unwrapKey, wrapKey } from '$lib/crypto';
import { emptyBody, newNoteId, openBody, sealBody, type Note, type NoteBody } from './notes.model';
import { vault } from './vault.svelte';

export const NOTES = 'notes';

/** A save refused because the note moved on elsewhere (another tab or device saved first). */
export class NoteConflict extends Error {
  constructor(readonly noteId: string) {
    super('The note was changed elsewhere.');
  }
}

/**
 * The signed-in user's notes, opened in the browser. Each note's key is unwrapped with the master key
 * once and kept in memory with it; `clear()` (on lock) forgets both. The highest version seen of each
 * note is remembered, so an older ciphertext served later (a rollback) is refused.
 */
class NotesStore {
  notes = $state<Note[]>([]);
  loaded = $state(false);
  /** Notes whose ciphertext did not open (tampered, or a key that does not match). */
  unreadable = $state(0);
  #keys = new Map<string, Uint8Array>();
  #seen = new Map<string, number>();

  async load(): Promise<void> {
    const pb = api();
    const rows = await pb.collection(NOTES).getFullList({
      filter: pb.filter('owner = {:owner}', { owner: vault.userId }),
      fields: 'id,version,keyWrap,ciphertext,updated',
      requestKey: null,
    });
    const notes: Note[] = [];
    let unreadable = 0;
    for (const row of rows) {
      const note = this.#open(row);
      if (note) notes.push(note);
      else unreadable++;
    }
    this.notes = notes;
    this.unreadable = unreadable;
    this.loaded = true;
  }

  async create(body: NoteBody = emptyBody()): Promise<Note> {
    const id = newNoteId();
    const key = newNoteKey();
    const row = await api()
      .collection(NOTES)
      .create(
        {
          id,
          owner: vault.userId,
          keyWrap: wrapKey(key, vault.masterKey, 'note'),
          ciphertext: sealBody(id, 1, body, key),
          version: 1,
        },
        { requestKey: null },
      );
    this.#keys.set(id, key);
    this.#seen.set(id, 1);
    const note: Note = { ...body, id, version: 1, updated: String(row['updated'] ?? '') };
    this.notes = [note, ...this.notes];
    return note;
  }

  /** Seals and stores the next version of a note; the server refuses a version it has passed. */
  async save(id: string, body: NoteBody): Promise<Note> {
    const current = this.notes.find((n) => n.id === id);
    const key = this.#keys.get(id);
    if (!current || !key) throw new Error('Unknown note.');
    const version = current.version + 1;
    let row: RecordModel;
    try {
      row = await api()
        .collection(NOTES)
        .update(id, { ciphertext: sealBody(id, version, body, key), version }, { requestKey: null });
    } catch (err) {
      // The update rule answers 404 when the stored version is no longer the one this save follows.
      if (err instanceof ClientResponseError && err.status === 404) throw new NoteConflict(id);
      throw err;
    }
    this.#seen.set(id, version);
    const saved: Note = { ...body, id, version, updated: String(row['updated'] ?? '') };
    this.notes = this.notes.map((n) => (n.id === id ? saved : n));
    return saved;
  }

  /**
   * Follows the notes through realtime: a save made in another tab or device replaces the note here
   * (only a newer version: this tab's own saves come back too), a delete removes it. `onChange` hears
   * which note changed. Resolves to the function that stops following.
   */
  async watch(onChange: (id: string) => void): Promise<() => Promise<void>> {
    return api()
      .collection(NOTES)
      .subscribe('*', (event) => {
        const id = event.record.id;
        if (event.action === 'delete') {
          if (!this.notes.some((n) => n.id === id)) return;
          this.notes = this.notes.filter((n) => n.id !== id);
          onChange(id);
          return;
        }
        const known = this.notes.find((n) => n.id === id);
        if (known && Number(event.record['version']) <= known.version) return;
        const note = this.#open(event.record);
        if (!note) return;
        this.notes = known ? this.notes.map((n) => (n.id === id ? note : n)) : [note, ...this.notes];
        onChange(id);
      });
  }

  /** Reads one note again from the server (after a conflict), keeping what it holds now. */
  async refresh(id: string): Promise<Note | null> {
    const row = await api()
      .collection(NOTES)
      .getOne(id, { fields: 'id,version,keyWrap,ciphertext,updated', requestKey: null });
    const note = this.#open(row);
    if (note) this.notes = this.notes.map((n) => (n.id === id ? note : n));
    return note;
  }

  async remove(id: string): Promise<void> {
    await api().collection(NOTES).delete(id, { requestKey: null });
    this.notes = this.notes.filter((n) => n.id !== id);
    this.#keys.delete(id);
  }

  clear(): void {
    for (const key of this.#keys.values()) key.fill(0);
    this.#keys.clear();
    this.notes = [];
    this.loaded = false;
  }

  #open(row: RecordModel): Note | null {
    const id = row.id;
    const version = Number(row['version']);
    if (version < (this.#seen.get(id) ?? 0)) return null; // older than one already seen: a rollback
    try {
      const key = this.#keys.get(id) ?? unwrapKey(String(row['keyWrap']), vault.masterKey, 'note');
      const body = openBody(id, version, String(row['ciphertext']), key);
      this.#keys.set(id, key);
      this.#seen.set(id, version);
      return { ...body, id, version, updated: String(row['updated'] ?? '') };
    } catch {
      return null;
    }
  }
}

export const notesStore = new NotesStore();
