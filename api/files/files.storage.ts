import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newRecordId } from '../lib/id';
import { isPlainFileName } from './files.names';

/**
 * Uploaded files on disk, laid out as PocketBase lays them out so a PocketBase data folder's files
 * carry over: `<dir>/storage/<collectionId>/<recordId>/<name>`, thumbs in
 * `<recordId>/thumbs_<name>/<size>_<name>`. Uploads stream into `storage/.tmp` first and are renamed
 * into place inside the write transaction (one filesystem, so the rename is atomic).
 */
export class FileStorage {
  readonly tempDir: string;

  constructor(readonly root: string) {
    this.tempDir = join(root, '.tmp');
  }

  /**
   * Creates the folders and removes uploads a crash left half-written: those untouched for an hour
   * (an upload in progress, perhaps another process's on the same folder, writes all the time).
   */
  open(): this {
    mkdirSync(this.tempDir, { recursive: true });
    const stale = Date.now() - 60 * 60 * 1000;
    for (const entry of readdirSync(this.tempDir)) {
      const path = join(this.tempDir, entry);
      try {
        if (statSync(path).mtimeMs < stale) rmSync(path, { recursive: true, force: true });
      } catch {
        // Gone meanwhile: fine.
      }
    }
    return this;
  }

  /** A fresh path in the temp folder for an upload in progress. */
  tempPath(): string {
    return join(this.tempDir, `upload_${newRecordId(20)}`);
  }

  /** The folder of a record's files; null for ids that are not plain names (never a path). */
  recordDir(collectionId: string, recordId: string): string | null {
    if (!isPlainFileName(collectionId) || !isPlainFileName(recordId)) return null;
    return join(this.root, collectionId, recordId);
  }

  filePath(collectionId: string, recordId: string, name: string): string | null {
    const dir = this.recordDir(collectionId, recordId);
    return dir && isPlainFileName(name) ? join(dir, name) : null;
  }

  thumbPath(collectionId: string, recordId: string, name: string, size: string): string | null {
    const dir = this.recordDir(collectionId, recordId);
    if (!dir || !isPlainFileName(name) || !/^\d+x\d+[tbf]?$/.test(size)) return null;
    return join(dir, `thumbs_${name}`, `${size}_${name}`);
  }

  /** Moves a finished upload to its record (synchronous: it runs inside the write transaction). */
  place(tempPath: string, collectionId: string, recordId: string, name: string): string {
    const target = this.filePath(collectionId, recordId, name);
    if (!target) throw new Error(`Not a plain file name: ${JSON.stringify(name)}.`);
    mkdirSync(join(target, '..'), { recursive: true });
    renameSync(tempPath, target);
    return target;
  }

  /** Deletes files of a record and their thumbs; missing ones are fine. */
  remove(collectionId: string, recordId: string, names: Iterable<string>): void {
    const dir = this.recordDir(collectionId, recordId);
    if (!dir) return;
    for (const name of names) {
      if (!isPlainFileName(name)) continue;
      rmSync(join(dir, name), { force: true });
      rmSync(join(dir, `thumbs_${name}`), { recursive: true, force: true });
    }
  }

  /** Deletes every file of a record. */
  removeRecord(collectionId: string, recordId: string): void {
    const dir = this.recordDir(collectionId, recordId);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }

  /** Deletes every file of a collection. */
  removeCollection(collectionId: string): void {
    if (isPlainFileName(collectionId))
      rmSync(join(this.root, collectionId), { recursive: true, force: true });
  }
}
