import { SqliteError } from 'better-sqlite3';
import { hashPassword, verifyPassword } from '../auth/password';
import { newTokenKey } from '../auth/superusers.store';
import { isMultiple, type Collection } from '../collections/collection.model';
import { parseIndex } from '../collections/collections.schema';
import { ApiError, type ErrorData } from '../core/errors';
import type { EventBus } from '../core/events';
import { SUPERUSERS } from '../core/http';
import { SqlParams } from '../lib/sql';
import { applyInput, rulesBody, writableInput } from './record.input';
import { toList } from './record.values';
import { ALIAS, compileRule, findAllowed, type QueryDeps } from './records.query';
import type { RecordRequest } from './records.request';
import {
  countExisting,
  countRows,
  deleteRow,
  findReferencing,
  findRow,
  insertRow,
  queryValue,
  statement,
  updateRow,
  type Row,
} from './records.store';
import { quoteIdent } from '../lib/sql';
import type { FileStorage } from '../files/files.storage';
import type { Upload } from '../files/files.upload';

declare module '../core/events' {
  interface HearthEvents {
    RecordCreate: RecordEvent;
    RecordUpdate: RecordEvent;
    RecordDelete: RecordEvent;
  }
}

/** A committed record change; `row` holds the stored values (realtime re-checks rules per subscriber). */
export interface RecordEvent {
  collectionId: string;
  collectionName: string;
  row: Row;
}

export interface RecordDeps extends QueryDeps {
  bus: EventBus;
  files: FileStorage;
}

/**
 * Moves a write's uploads to the record's folder inside its transaction, so the files are there the
 * moment the row is; a rollback deletes them again. Files the row no longer names are deleted only
 * after the commit, so a failed write loses nothing.
 */
function storeFiles(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  uploads: Map<string, Upload[]>,
  old: Row | null,
  row: Row,
): void {
  const placed: string[] = [];
  deps.db.afterRollback(() => deps.files.remove(collection.id, id, placed));
  for (const list of uploads.values()) {
    for (const upload of list) {
      deps.files.place(upload.tempPath, collection.id, id, upload.name);
      placed.push(upload.name);
    }
  }
  if (!old) return;
  const now = new Set(fileNames(collection, row));
  const dropped = fileNames(collection, old).filter((name) => !now.has(name));
  if (dropped.length > 0) deps.db.afterCommit(() => deps.files.remove(collection.id, id, dropped));
}

/** The file names a row holds, over all its file fields. */
function fileNames(collection: Collection, row: Row): string[] {
  return collection.fields.flatMap((f) =>
    f.type === 'file' ? toList(isMultiple(f) ? JSON.parse(String(row[f.name] ?? '[]')) : row[f.name]) : [],
  );
}

/** An auth record's linked identities and one-time codes go with it (as in PocketBase). */
function forgetAccount(deps: RecordDeps, collection: Collection, id: string): void {
  for (const table of ['_externalAuths', '_otps']) {
    if (!deps.collections.find(table)) continue;
    statement(deps.db, `DELETE FROM ${quoteIdent(table)} WHERE collectionRef = ? AND recordRef = ?`).run(
      collection.id,
      id,
    );
  }
}

function rowExists(deps: RecordDeps, collection: Collection, id: string): boolean {
  try {
    return findRow(deps.db, collection, id) !== undefined;
  } catch {
    return false; // the collection is gone too
  }
}

function hasFiles(collection: Collection): boolean {
  return collection.fields.some((f) => f.type === 'file');
}

function event(collection: Collection, row: Row): RecordEvent {
  return { collectionId: collection.id, collectionName: collection.name, row };
}

function assertWritable(collection: Collection): void {
  if (collection.type === 'view') throw ApiError.badRequest('View collections are read only.');
}

/** Plain password → hash, made before the write transaction (hashing is slow and async). */
export type PasswordHashes = Map<string, string>;

/** Hashes every password value the input carries for this collection. */
export async function hashInputPasswords(
  collection: Collection,
  input: Record<string, unknown>,
): Promise<PasswordHashes> {
  const hashes: PasswordHashes = new Map();
  for (const f of collection.fields) {
    const plain = input[f.name];
    if (f.type === 'password' && typeof plain === 'string' && plain !== '' && !hashes.has(plain)) {
      hashes.set(plain, await hashPassword(plain));
    }
  }
  return hashes;
}

/** Puts the hashes in place of the plain passwords, rotating tokenKey so older tokens stop working. */
function setPasswords(
  collection: Collection,
  row: Row,
  passwords: Map<string, string>,
  hashes: PasswordHashes,
  isNew: boolean,
) {
  for (const [name, plain] of passwords) {
    const hash = hashes.get(plain);
    if (hash === undefined) throw new Error(`password of ${name} was not hashed ahead`);
    row[name] = hash;
  }
  if (collection.type === 'auth' && (isNew || passwords.has('password'))) row['tokenKey'] = newTokenKey();
}

/** Relation values must name existing records of the related collection. */
function checkRelations(
  deps: RecordDeps,
  collection: Collection,
  row: Row,
  changed: Set<string>,
  message: string,
): void {
  const errors: ErrorData = {};
  for (const f of collection.fields) {
    if (f.type !== 'relation' || !changed.has(f.name)) continue;
    const ids = toList(isMultiple(f) ? JSON.parse(String(row[f.name] ?? '[]')) : row[f.name]);
    if (ids.length === 0) continue;
    const target = deps.collections.find(f.collectionId);
    if (!target || countExisting(deps.db, target, ids) !== ids.length) {
      errors[f.name] = {
        code: 'validation_missing_rel_records',
        message: 'Failed to find all relation records with the provided ids.',
      };
    }
  }
  if (Object.keys(errors).length > 0) throw ApiError.badRequest(message, errors);
}

/** A UNIQUE violation is the client's input clashing with another row: 400 on the fields involved. */
function uniqueError(collection: Collection, err: unknown, message: string): unknown {
  if (!(err instanceof SqliteError) || !err.code.startsWith('SQLITE_CONSTRAINT')) return err;
  // A trigger's refusal carries its own sentence (api/core/http.ts answers it as a 400).
  if (err.code === 'SQLITE_CONSTRAINT_TRIGGER') return err;
  const columns = new Set<string>();
  const byColumn = /UNIQUE constraint failed: (.+)$/.exec(err.message);
  if (byColumn) {
    for (const part of byColumn[1]!.split(',')) {
      const m = /^\s*(?:\w+\.)?(\w+)\s*$/.exec(part);
      if (m?.[1] && !part.includes("index '")) columns.add(m[1]);
    }
    const byIndex = /index '(\w+)'/.exec(err.message);
    const index = byIndex && collection.indexes.map(parseIndex).find((i) => i?.name === byIndex[1]);
    if (index) {
      for (const f of collection.fields)
        if (new RegExp(`\\b${f.name}\\b`).test(index.columns)) columns.add(f.name);
    }
  }
  if (columns.size === 0) return ApiError.badRequest(message, undefined, err);
  const data: ErrorData = {};
  for (const c of columns) data[c] = { code: 'validation_not_unique', message: 'Value must be unique.' };
  return ApiError.badRequest(message, data, err);
}

/** The collection as it is now, inside the write transaction (a schema change may have committed). */
function current(deps: RecordDeps, collection: Collection): Collection {
  const now = deps.collections.find(collection.id);
  if (!now) throw ApiError.notFound('Missing collection context.');
  assertWritable(now);
  return now;
}

/** The request as rules see it for this write: `@request.body` with modifiers resolved. */
function withRulesBody(request: RecordRequest, body: Record<string, unknown>): RecordRequest {
  return { ...request, info: { ...request.info, body } };
}

/** Refuses manager-only changes (see AppliedInput.managed) when the request cannot manage `id`. */
function checkManaged(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  managed: string[],
  request: RecordRequest,
  message: string,
): void {
  if (managed.length === 0 || canManage(deps, collection, id, request)) return;
  const data: ErrorData = {};
  for (const name of managed) {
    data[name] = {
      code: 'validation_values_mismatch',
      message: 'Only superusers and managers of the collection can change this field.',
    };
  }
  throw ApiError.badRequest(message, data);
}

/** Superusers, and requests the auth collection's manageRule lets manage the record. */
export function canManage(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  request: RecordRequest,
): boolean {
  if (request.isSuperuser) return true;
  // As PocketBase: guests never manage, and an empty manageRule means superusers only.
  if (!request.info.auth || collection.type !== 'auth' || !collection.auth?.manageRule?.trim()) return false;
  return findAllowed(deps, collection, 'manageRule', id, request) !== undefined;
}

/**
 * Refuses a create that cannot succeed whatever the body (a view, a create rule only superusers
 * pass) before the body is read: uploads are not stored only to be thrown away.
 */
export function checkCreatable(deps: RecordDeps, collection: Collection, request: RecordRequest): void {
  assertWritable(collection);
  compileRule(deps, collection, 'createRule', request, new SqlParams());
}

/** Creates a record: validate, then insert and check the create rule in one transaction. */
export async function createRecord(
  deps: RecordDeps,
  collection: Collection,
  input: Record<string, unknown>,
  request: RecordRequest,
): Promise<Row> {
  checkCreatable(deps, collection, request); // 403 before hashing when locked
  const hashes = await hashInputPasswords(collection, input);
  return deps.db.transaction(() => createRecordNow(deps, collection, input, request, hashes));
}

/** The synchronous create, inside the caller's transaction (batch runs several in one). */
export function createRecordNow(
  deps: RecordDeps,
  stale: Collection,
  input: Record<string, unknown>,
  request: RecordRequest,
  hashes: PasswordHashes,
): Row {
  const collection = current(deps, stale);
  input = writableInput(collection, input, request.isSuperuser);
  const applied = applyInput(collection, null, input);
  if (Object.keys(applied.errors).length > 0)
    throw ApiError.badRequest('Failed to create record.', applied.errors);
  const row = applied.row;
  setPasswords(collection, row, applied.passwords, hashes, true);
  // Superusers are trusted with their email from the start, as PocketBase marks them.
  if (collection.id === SUPERUSERS.id) row['verified'] = 1;
  const ruled = withRulesBody(request, rulesBody(collection, input, row));
  try {
    return deps.db.transaction(() => {
      checkRelations(deps, collection, row, new Set(Object.keys(row)), 'Failed to create record.');
      // The rules see the new record unverified (PocketBase's guard against a client that sets
      // verified=true to satisfy a manageRule reading it); it is verified once the check passed.
      const wantsVerified = collection.type === 'auth' && row['verified'] === 1;
      if (wantsVerified) row['verified'] = 0;
      insertRow(deps.db, collection, row);
      // The create rule sees the new record as stored, relations included (PocketBase checks it
      // against the would-be record the same way); failing it rolls the insert back.
      const params = new SqlParams();
      const rule = compileRule(deps, collection, 'createRule', ruled, params);
      if (rule) {
        const idParam = params.add(String(row['id']));
        const sql = `SELECT 1 FROM ${quoteIdent(collection.name)} ${ALIAS} ${rule.joins.join(' ')} WHERE ${ALIAS}.id = ${idParam} AND (${rule.where}) LIMIT 1`;
        if (!queryValue(deps.db, sql, params.values)) throw ApiError.badRequest('Failed to create record.');
      }
      checkManaged(deps, collection, String(row['id']), applied.managed, ruled, 'Failed to create record.');
      if (wantsVerified) updateRow(deps.db, collection, String(row['id']), { verified: 1 });
      storeFiles(deps, collection, String(row['id']), applied.uploads, null, row);
      const saved = findRow(deps.db, collection, String(row['id']))!;
      deps.bus.publish('RecordCreate', event(collection, saved));
      return saved;
    });
  } catch (err) {
    throw uniqueError(collection, err, 'Failed to create record.');
  }
}

/**
 * A password change by someone who cannot manage the record needs the current password as
 * `oldPassword` (PocketBase's rule), checked before the write transaction since hashing is async.
 */
export async function checkOldPassword(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  input: Record<string, unknown>,
  request: RecordRequest,
): Promise<void> {
  if (collection.type !== 'auth' || typeof input['password'] !== 'string' || input['password'] === '') return;
  const row = findRow(deps.db, collection, id);
  if (!row || canManage(deps, collection, id, request)) return;
  const old = input['oldPassword'];
  if (typeof old !== 'string' || old === '' || !(await verifyPassword(String(row['password']), old))) {
    throw ApiError.badRequest('Failed to update record.', {
      oldPassword: { code: 'validation_invalid_old_password', message: 'Missing or invalid old password.' },
    });
  }
}

/**
 * Refuses an update that cannot succeed whatever the body, before the body is read (as PocketBase:
 * a view 400, a rule only superusers pass 403, a missing record 404).
 */
export function checkUpdatable(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  request: RecordRequest,
): void {
  assertWritable(collection);
  if (!request.isSuperuser && collection.updateRule === null) {
    throw ApiError.forbidden('Only superusers can perform this action.');
  }
  if (!findRow(deps.db, collection, id)) throw ApiError.notFound();
}

/** Updates a record the update rule lets this request change (404 otherwise). */
export async function updateRecord(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  input: Record<string, unknown>,
  request: RecordRequest,
): Promise<Row> {
  checkUpdatable(deps, collection, id, request);
  await checkOldPassword(deps, collection, id, input, request);
  const hashes = await hashInputPasswords(collection, input);
  return deps.db.transaction(() => updateRecordNow(deps, collection, id, input, request, hashes));
}

/**
 * The synchronous update, inside the caller's transaction. As PocketBase, the update rule is checked
 * against the stored record with `@request.body` holding the submitted values, modifiers resolved.
 */
export function updateRecordNow(
  deps: RecordDeps,
  stale: Collection,
  id: string,
  input: Record<string, unknown>,
  request: RecordRequest,
  hashes: PasswordHashes,
): Row {
  const collection = current(deps, stale);
  input = writableInput(collection, input, request.isSuperuser);
  const stored = findRow(deps.db, collection, id);
  if (!stored) throw ApiError.notFound();
  const applied = applyInput(collection, stored, input);
  const ruled = withRulesBody(request, rulesBody(collection, input, applied.row));
  if (!findAllowed(deps, collection, 'updateRule', id, ruled)) throw ApiError.notFound();
  if (Object.keys(applied.errors).length > 0)
    throw ApiError.badRequest('Failed to update record.', applied.errors);
  checkManaged(deps, collection, id, applied.managed, ruled, 'Failed to update record.');
  setPasswords(collection, applied.row, applied.passwords, hashes, false);
  const changes: Row = {};
  for (const name of applied.changed) changes[name] = applied.row[name];
  if (collection.type === 'auth' && (changes['password'] !== undefined || changes['email'] !== undefined)) {
    changes['tokenKey'] = newTokenKey();
  }
  try {
    return deps.db.transaction(() => {
      checkRelations(deps, collection, applied.row, applied.changed, 'Failed to update record.');
      updateRow(deps.db, collection, id, changes);
      storeFiles(deps, collection, id, applied.uploads, stored, applied.row);
      const saved = findRow(deps.db, collection, id)!;
      deps.bus.publish('RecordUpdate', event(collection, saved));
      return saved;
    });
  } catch (err) {
    throw uniqueError(collection, err, 'Failed to update record.');
  }
}

/** Deletes a record the delete rule allows, with PocketBase's relation cascade. */
export function deleteRecord(
  deps: RecordDeps,
  collection: Collection,
  id: string,
  request: RecordRequest,
): void {
  assertWritable(collection);
  deps.db.transaction(() => {
    const row = findAllowed(deps, collection, 'deleteRule', id, request);
    if (!row) throw ApiError.notFound();
    if (collection.id === SUPERUSERS.id && countRows(deps.db, collection) <= 1) {
      throw ApiError.badRequest('The only superuser cannot be deleted.');
    }
    deleteWithCascade(deps, collection, row, new Set());
  });
}

/**
 * Deletes `row` and follows relations pointing at it: cascadeDelete fields delete their records too,
 * others drop the id, and a required single reference blocks the delete (PocketBase's behaviour).
 */
export function deleteWithCascade(
  deps: RecordDeps,
  collection: Collection,
  row: Row,
  seen: Set<string>,
): void {
  const key = `${collection.id}/${String(row['id'])}`;
  if (seen.has(key)) return;
  seen.add(key);
  const id = String(row['id']);
  deleteRow(deps.db, collection, id);
  if (collection.type === 'auth') forgetAccount(deps, collection, id);
  if (hasFiles(collection)) {
    const names = fileNames(collection, row);
    deps.db.afterCommit(() => {
      // The folder goes, unless the same transaction made a record with this id again (a batch
      // may): then only the deleted record's files do.
      if (rowExists(deps, collection, id)) deps.files.remove(collection.id, id, names);
      else deps.files.removeRecord(collection.id, id);
    });
  }
  for (const other of deps.collections.all()) {
    if (other.type === 'view') continue;
    for (const f of other.fields) {
      if (f.type !== 'relation' || f.collectionId !== collection.id) continue;
      for (const ref of findReferencing(deps.db, other, f.name, isMultiple(f), id)) {
        if (f.cascadeDelete) {
          deleteWithCascade(deps, other, ref, seen);
          continue;
        }
        const remaining = isMultiple(f)
          ? toList(JSON.parse(String(ref[f.name]))).filter((v) => v !== id)
          : [];
        if (f.required && remaining.length === 0) {
          throw ApiError.badRequest(
            `The record cannot be deleted because it is part of a required reference in ${other.name}.`,
          );
        }
        updateRow(deps.db, other, String(ref['id']), {
          [f.name]: isMultiple(f) ? JSON.stringify(remaining) : '',
        });
        deps.bus.publish('RecordUpdate', event(other, findRow(deps.db, other, String(ref['id']))!));
      }
    }
  }
  deps.bus.publish('RecordDelete', event(collection, row));
}
