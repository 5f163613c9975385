import type BetterSqlite3 from 'better-sqlite3';
import { readCollections, writeCollection } from '../../collections/collections.store';

/**
 * A kept version carries the number of the note's version it copies, so an editor cannot fill the
 * history with versions numbered far past the note's (the owner's pruning keeps the newest, and
 * would throw the genuine ones away). Rules are data: this changes one rule of `notes_versions`.
 */
export function up(sql: BetterSqlite3.Database): void {
  const versions = readCollections(sql).find((c) => c.name === 'notes_versions');
  if (!versions)
    throw new Error('The notes_versions collection is missing: its first migration did not run.');
  const rule = versions.createRule;
  if (rule === null) return; // locked by an admin meanwhile: leave it so
  versions.createRule = `${rule} && @request.body.version = note.version`;
  writeCollection(sql, versions);
}
