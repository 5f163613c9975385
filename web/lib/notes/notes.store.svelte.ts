import { ClientResponseError, type RecordModel } from 'pocketbase';
import { api } from '$lib/api/client';
import { newNoteKey, unwrapKey, unwrapSharedNoteKey, wrapKey } from '$lib/crypto';
import { emptyBody, newNoteId, openBody, sealBody, type Note, type NoteBody } from './notes.model';
import { KeyMarks } from './key-marks';
import { Outbox, type SealedSave, type SendResult } from './notes.outbox';
import { browserStorage, SeenVersions } from './seen-versions';
import { vault } from './vault.svelte';

export const NOTES = 'notes';
export const SHARES = 'notes_shares';
const NOTE_FIELDS = 'id,owner,version,keyWrap,ciphertext,attachments,updated';

/** A save refused because the note moved on elsewhere (another tab or device saved first). */
export class NoteConflict extends Error {
  constructor(readonly noteId: string) {
    super('The note was changed elsewhere.');
  }
}

/** A share of someone else's note with the signed-in user, as their store holds it. */
interface Received {
  keyWrap: string;
  canEdit: boolean;
}

/** What a save sealed, for the version history (notes.history.ts) to keep. */
export interface Saved {
  note: Note;
  ciphertext: string;
  /** The note key as its owner wrapped it (the note row's keyWrap). */
  keyWrap: string;
}

/**
 * The signed-in user's notes and those shared with them, opened in the browser. Each note's key is
 * opened once — with the master key for the user's own notes, with their box secret key for shared
 * ones — and kept in memory with the wrapped value it came from, so a re-key (a revoked share) is
 * noticed; `clear()` (on lock) forgets them. The highest version seen of each note is kept across
 * reloads (seen-versions.ts), so an older ciphertext served later (a rollback) is refused.
 */
class NotesStore {
  notes = $state<Note[]>([]);
  loaded = $state(false);
  /** Notes whose ciphertext did not open (tampered, rolled back, or a key that does not match). */
  unreadable = $state(0);
  /** Saves sealed and waiting for the server (offline, or made at lock): notes.outbox.ts. */
  unsent = $state(0);
  /** Called after each save with what was stored (the version history listens). */
  onSaved: ((saved: Saved) => void) | null = null;
  #keys = new Map<string, { key: Uint8Array; from: string }>();
  /** The owner's wrapped key of each note, as last read (versions keep it). */
  #ownerWraps = new Map<string, string>();
  #received = new Map<string, Received>();
  /** The stored (sealed) attachment files of each note, by their server names. */
  #files = new Map<string, string[]>();
  #seen: SeenVersions | null = null;
  #keyMarks: KeyMarks | null = null;
  #outbox: Outbox | null = null;
  /** Notes the outbox stored while the list was loading: read again once it is there. */
  #storedWhileLoading = new Set<string>();
  /** Bumped by clear(): work that finishes after a lock or a switch of user must not land. */
  #generation = 0;

  async load(): Promise<void> {
    const pb = api();
    const generation = this.#generation;
    this.#seen = new SeenVersions(browserStorage(), vault.userId);
    this.#keyMarks = new KeyMarks(browserStorage(), vault.userId);
    this.#startOutbox();
    // The list rule answers the user's own notes and those shared with them, in one list.
    const [rows, shares] = await Promise.all([
      pb.collection(NOTES).getFullList({ fields: NOTE_FIELDS, requestKey: null }),
      pb.collection(SHARES).getFullList({
        filter: pb.filter('recipient = {:me}', { me: vault.userId }),
        fields: 'note,keyWrap,canEdit',
        requestKey: null,
      }),
    ]);
    if (generation !== this.#generation) return; // locked meanwhile: open nothing
    this.#received = new Map(
      shares.map((s) => [
        String(s['note']),
        { keyWrap: String(s['keyWrap']), canEdit: s['canEdit'] === true },
      ]),
    );
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
    // The list may predate what the outbox stored meanwhile, and realtime may not have been
    // listening yet.
    for (const id of this.#storedWhileLoading) void this.refresh(id).catch(() => undefined);
    this.#storedWhileLoading.clear();
  }

  async create(body: NoteBody = emptyBody()): Promise<Note> {
    const id = newNoteId();
    const key = newNoteKey();
    const keyWrap = wrapKey(key, vault.masterKey, 'note');
    const generation = this.#generation;
    const row = await api()
      .collection(NOTES)
      .create(
        { id, owner: vault.userId, keyWrap, ciphertext: sealBody(id, 1, body, key), version: 1 },
        { requestKey: null },
      );
    const note: Note = {
      ...body,
      id,
      version: 1,
      updated: String(row['updated'] ?? ''),
      mine: true,
      canEdit: true,
    };
    if (generation !== this.#generation) {
      key.fill(0); // locked meanwhile: the note is stored, and opens at the next unlock
      return note;
    }
    this.#keys.set(id, { key, from: keyWrap });
    this.#keyMarks?.use(id, keyWrap);
    this.#ownerWraps.set(id, keyWrap);
    this.#seen?.note(id, 1);
    // Realtime may have brought the new note before this answer did: replace, never add twice.
    this.#put(note);
    return note;
  }

  /**
   * Seals and stores the next version of a note; the server refuses a version it has passed.
   * `rekey` (the owner, after revoking a share) seals it under a new note key instead, and returns
   * that key so the remaining shares can be wrapped again.
   */
  async save(
    id: string,
    body: NoteBody,
    options: { rekey?: boolean; upload?: File[]; removeFiles?: string[] } = {},
  ): Promise<Note> {
    const current = this.notes.find((n) => n.id === id);
    const known = this.#keys.get(id);
    if (!current || !known) throw new Error('Unknown note.');
    if (!current.canEdit) throw new Error('This note is shared with you to read only.');
    const version = current.version + 1;
    const key = options.rekey ? newNoteKey() : known.key;
    const ciphertext = sealBody(id, version, body, key);
    const data: Record<string, unknown> = { ciphertext, version };
    if (options.rekey) data['keyWrap'] = wrapKey(key, vault.masterKey, 'note');
    // Sealed files go with the save that names them, so a note never refers to a missing file.
    if (options.upload?.length) data['attachments+'] = options.upload;
    if (options.removeFiles?.length) data['attachments-'] = options.removeFiles;
    const generation = this.#generation;
    let row: RecordModel;
    try {
      // Only what the app reads back: a 1 MB note is not sent twice.
      row = await api().collection(NOTES).update(id, data, { requestKey: null, fields: SAVED_FIELDS });
    } catch (err) {
      // The update rule answers 404 when the stored version is no longer the one this save follows.
      if (err instanceof ClientResponseError && err.status === 404) throw new NoteConflict(id);
      // Unreachable: a plain save waits, sealed, in the outbox; the text is safe on this device.
      const plain = !options.rekey && !options.upload?.length && !options.removeFiles?.length;
      if (!plain || !unreachable(err) || !this.#outbox) throw err;
      return this.#queue(current, body, { id, version, ciphertext });
    }
    if (generation !== this.#generation) {
      if (options.rekey) key.fill(0);
      return { ...current, ...body, version };
    }
    if (options.rekey) {
      known.key.fill(0);
      this.#keys.set(id, { key, from: String(data['keyWrap']) });
      this.#ownerWraps.set(id, String(data['keyWrap']));
      this.#keyMarks?.use(id, String(data['keyWrap']));
    }
    this.#seen?.note(id, version);
    this.#files.set(id, filesOf(row));
    const saved: Note = { ...current, ...body, id, version, updated: String(row['updated'] ?? '') };
    this.notes = this.notes.map((n) => (n.id === id ? saved : n));
    this.onSaved?.({ note: saved, ciphertext, keyWrap: this.#ownerWraps.get(id) ?? '' });
    return saved;
  }

  /**
   * Seals the next version of a note for the outbox without waiting for the server: what the app
   * does with an unsaved edit when it locks, so locking never waits and never drops text.
   */
  sealForLater(id: string, body: NoteBody): void {
    const current = this.notes.find((n) => n.id === id);
    const known = this.#keys.get(id);
    if (!current || !known || !current.canEdit || !this.#outbox) return;
    const version = current.version + 1;
    this.#queue(current, body, { id, version, ciphertext: sealBody(id, version, body, known.key) });
  }

  #queue(current: Note, body: NoteBody, save: SealedSave): Note {
    const outbox = this.#outbox!;
    void outbox.add(save).then(() => (this.unsent = outbox.waiting));
    this.unsent = outbox.waiting;
    const saved: Note = { ...current, ...body, version: save.version };
    this.notes = this.notes.map((n) => (n.id === save.id ? saved : n));
    return saved;
  }

  /**
   * The saves the server refused since they were queued (the note moved on elsewhere), opened:
   * the app keeps each as a conflicting copy. Only the last refused save of a note is returned.
   */
  refusedSaves(): { id: string; body: NoteBody }[] {
    const refused = this.#outbox?.takeRefused() ?? [];
    const latest = refused.filter((save, i) => !refused.slice(i + 1).some((later) => later.id === save.id));
    return latest.flatMap((save) => {
      const key = this.#keys.get(save.id)?.key;
      try {
        return key ? [{ id: save.id, body: openBody(save.id, save.version, save.ciphertext, key) }] : [];
      } catch {
        return [];
      }
    });
  }

  /** The outbox of the signed-in user, sending what earlier sessions left. */
  #startOutbox(): void {
    const send = async (save: SealedSave): Promise<SendResult> => {
      try {
        await api()
          .collection(NOTES)
          .update(
            save.id,
            { ciphertext: save.ciphertext, version: save.version },
            { requestKey: null, fields: 'id' },
          );
        // Marked seen once stored: a mark above the server's version would hide the note.
        this.#seen?.note(save.id, save.version);
        if (this.loaded) void this.refresh(save.id).catch(() => undefined);
        else this.#storedWhileLoading.add(save.id);
        return 'stored';
      } catch (err) {
        return unreachable(err) || (err instanceof ClientResponseError && err.status === 401)
          ? 'retry'
          : 'refused';
      } finally {
        this.unsent = this.#outbox?.waiting ?? 0;
      }
    };
    this.#outbox = new Outbox(browserStorage(), vault.userId, send);
    this.unsent = this.#outbox.waiting;
    void this.#outbox.drain().then(() => (this.unsent = 0));
  }

  /** The open key of a note (to share it, or to open its versions). */
  keyOf(id: string): Uint8Array | undefined {
    return this.#keys.get(id)?.key;
  }

  /** The server names of a note's stored attachment files. */
  filesOf(id: string): string[] {
    return this.#files.get(id) ?? [];
  }

  /** The note key as its owner wrapped it, as last read. */
  ownerWrapOf(id: string): string | undefined {
    return this.#ownerWraps.get(id);
  }

  /**
   * Follows the notes through realtime: a save made in another tab or device replaces the note here
   * (only a newer version: this tab's own saves come back too), a delete removes it; a note shared
   * with the user appears, and goes when the share does. `onChange` hears which note changed.
   * Resolves to the function that stops following.
   */
  async watch(onChange: (id: string) => void): Promise<() => Promise<void>> {
    const pb = api();
    const stopNotes = await pb.collection(NOTES).subscribe('*', (event) => {
      const id = event.record.id;
      if (event.action === 'delete') {
        if (this.#drop(id)) onChange(id);
        return;
      }
      void this.#arrived(event.record).then((changed) => changed && onChange(id));
    });
    const stopShares = await pb.collection(SHARES).subscribe('*', (event) => {
      const share = event.record;
      if (share['recipient'] !== vault.userId) return; // the owner's own shares: the share panel's
      const id = String(share['note']);
      if (event.action === 'delete') {
        this.#received.delete(id);
        if (this.#drop(id)) onChange(id);
        return;
      }
      this.#received.set(id, { keyWrap: String(share['keyWrap']), canEdit: share['canEdit'] === true });
      void this.refresh(id)
        .then(() => onChange(id))
        .catch(() => undefined); // the note may be gone already; its delete event says so
    });
    return async () => {
      await Promise.all([stopNotes(), stopShares()]);
    };
  }

  /** A note row from realtime: opened when newer than what is shown. True when the list changed. */
  async #arrived(row: RecordModel): Promise<boolean> {
    const known = this.notes.find((n) => n.id === row.id);
    if (known && Number(row['version']) <= known.version) return false;
    let note = this.#open(row);
    if (!note && row['owner'] !== vault.userId) {
      // A shared note re-keyed by its owner: the share's new wrapped key may have come first.
      await this.#fetchShare(row.id);
      note = this.#open(row);
    }
    if (!note) return false;
    this.#put(note);
    return true;
  }

  async #fetchShare(noteId: string): Promise<void> {
    const pb = api();
    const share = await pb
      .collection(SHARES)
      .getFirstListItem(
        pb.filter('note = {:note} && recipient = {:me}', { note: noteId, me: vault.userId }),
        {
          requestKey: null,
        },
      )
      .catch(() => null);
    if (share)
      this.#received.set(noteId, { keyWrap: String(share['keyWrap']), canEdit: share['canEdit'] === true });
  }

  /** Reads one note again from the server (after a conflict), keeping what it holds now. */
  async refresh(id: string): Promise<Note | null> {
    const row = await api().collection(NOTES).getOne(id, { fields: NOTE_FIELDS, requestKey: null });
    const note = this.#open(row);
    if (note) this.#put(note);
    return note;
  }

  async remove(id: string): Promise<void> {
    await api().collection(NOTES).delete(id, { requestKey: null });
    this.#drop(id);
    this.#seen?.forget(id);
    this.#keyMarks?.forget(id);
  }

  clear(): void {
    this.#generation++;
    for (const { key } of this.#keys.values()) key.fill(0);
    this.#keys.clear();
    this.#ownerWraps.clear();
    this.#received.clear();
    this.#files.clear();
    this.notes = [];
    this.loaded = false;
  }

  #put(note: Note): void {
    this.notes = this.notes.some((n) => n.id === note.id)
      ? this.notes.map((n) => (n.id === note.id ? note : n))
      : [note, ...this.notes];
  }

  /**
   * The user leaves a note shared with them: their share goes, and the note with it (the owner's
   * note itself stays).
   */
  async leave(id: string): Promise<void> {
    const pb = api();
    const share = await pb
      .collection(SHARES)
      .getFirstListItem(pb.filter('note = {:note} && recipient = {:me}', { note: id, me: vault.userId }), {
        requestKey: null,
      });
    await pb.collection(SHARES).delete(share.id, { requestKey: null });
    this.#received.delete(id);
    this.#drop(id);
  }

  /** Takes a note out of the list and forgets its key; true when it was there. */
  #drop(id: string): boolean {
    const had = this.notes.some((n) => n.id === id);
    this.notes = this.notes.filter((n) => n.id !== id);
    this.#keys.get(id)?.key.fill(0);
    this.#keys.delete(id);
    return had;
  }

  /** The key a row opens with: the owner's wrap under the master key, or the user's share of it. */
  #keyFor(row: RecordModel): { key: Uint8Array; from: string } | null {
    const mine = row['owner'] === vault.userId;
    const from = mine ? String(row['keyWrap']) : this.#received.get(row.id)?.keyWrap;
    if (!from || this.#keyMarks?.isRetired(row.id, from)) return null; // a key the note moved on from
    const cached = this.#keys.get(row.id);
    if (cached?.from === from) return cached;
    const key = mine
      ? unwrapKey(from, vault.masterKey, 'note')
      : unwrapSharedNoteKey(from, vault.boxKeys.secretKey);
    return { key, from };
  }

  #open(row: RecordModel): Note | null {
    const id = row.id;
    const version = Number(row['version']);
    if (this.#seen?.isRollback(id, version)) return null; // older than one already seen
    try {
      const found = this.#keyFor(row);
      if (!found) return null;
      const body = openBody(id, version, String(row['ciphertext']), found.key);
      const previous = this.#keys.get(id);
      if (previous && previous !== found) previous.key.fill(0);
      this.#keys.set(id, found);
      this.#keyMarks?.use(id, found.from);
      this.#ownerWraps.set(id, String(row['keyWrap']));
      this.#files.set(id, filesOf(row));
      this.#seen?.note(id, version);
      const mine = row['owner'] === vault.userId;
      return {
        ...body,
        id,
        version,
        updated: String(row['updated'] ?? ''),
        mine,
        canEdit: mine || this.#received.get(id)?.canEdit === true,
      };
    } catch {
      return null;
    }
  }
}

const SAVED_FIELDS = 'id,version,attachments,updated';

/** The server could not be reached (offline, or a dropped connection), as opposed to an answer. */
function unreachable(err: unknown): boolean {
  return err instanceof ClientResponseError && err.status === 0 && !err.isAbort;
}

function filesOf(row: RecordModel): string[] {
  const files: unknown = row['attachments'];
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
}

export const notesStore = new NotesStore();
