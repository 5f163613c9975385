import { crc32 } from 'node:zlib';
import { ApiError, type ErrorData, type FieldError } from '../core/errors';
import { formatDateTime } from '../lib/time';
import { defaultFieldId, normalizeField } from './collection.fields';
import type { AuthOptions, Collection, CollectionType, Field, RuleName, Schema } from './collection.model';

/**
 * Building a valid Collection from client JSON (create, update, import), with PocketBase's system
 * fields and defaults. Rule filters are checked by the caller (they need the filter compiler).
 */

export const RULES: readonly RuleName[] = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule'];
export const COLLECTION_NAME_PATTERN = /^\w+$/;

/** PocketBase's collection id: "pbc_" and the CRC-32 of type + name. */
export function defaultCollectionId(type: string, name: string): string {
  return `pbc_${crc32(type + name)}`;
}

function systemField<T extends Field>(
  field: Omit<T, 'id' | 'system' | 'hidden' | 'presentable'> & Partial<T>,
): T {
  return {
    id: defaultFieldId(field.type, field.name),
    system: true,
    hidden: false,
    presentable: false,
    ...field,
  } as T;
}

/** The fields every collection of a type starts with (PocketBase's initDefaultFields). */
export function systemFields(type: CollectionType): Field[] {
  if (type === 'view') return [];
  const id = systemField<Extract<Field, { type: 'text' }>>({
    name: 'id',
    type: 'text',
    required: true,
    primaryKey: true,
    min: 15,
    max: 15,
    pattern: '^[a-z0-9]+$',
    autogeneratePattern: '[a-z0-9]{15}',
  });
  if (type === 'base') return [id];
  return [
    id,
    systemField({
      name: 'password',
      type: 'password',
      hidden: true,
      required: true,
      min: 8,
      max: 0,
      pattern: '',
      cost: 0,
    }),
    systemField({
      name: 'tokenKey',
      type: 'text',
      hidden: true,
      required: true,
      primaryKey: false,
      min: 30,
      max: 60,
      pattern: '',
      autogeneratePattern: '[a-zA-Z0-9]{50}',
    }),
    systemField({ name: 'email', type: 'email', required: true, exceptDomains: null, onlyDomains: null }),
    systemField({ name: 'emailVisibility', type: 'bool', required: false }),
    systemField({ name: 'verified', type: 'bool', required: false }),
  ];
}

export function defaultAuthOptions(): AuthOptions {
  return {
    authRule: '',
    manageRule: null,
    passwordAuth: { enabled: true, identityFields: ['email'] },
    oauth2: {
      enabled: false,
      mappedFields: { id: '', name: '', username: '', avatarURL: '' },
      providers: [],
    },
    mfa: { enabled: false, duration: 1800, rule: '' },
    otp: { enabled: false, duration: 180, length: 8 },
    authAlert: { enabled: true },
    authToken: { duration: 604800 },
    passwordResetToken: { duration: 1800 },
    emailChangeToken: { duration: 1800 },
    verificationToken: { duration: 259200 },
    fileToken: { duration: 180 },
  };
}

/** The unique indexes auth collections always have (email among non-empty values, tokenKey). */
export function systemIndexes(collection: Pick<Collection, 'id' | 'name' | 'type'>): string[] {
  if (collection.type !== 'auth') return [];
  return [
    `CREATE UNIQUE INDEX "idx_tokenKey_${collection.id}" ON "${collection.name}" ("tokenKey")`,
    `CREATE UNIQUE INDEX "idx_email_${collection.id}" ON "${collection.name}" ("email" COLLATE NOCASE) WHERE "email" != ''`,
  ];
}

const RESERVED_COLLECTION_NAMES = new Set([
  '_collections',
  '_migrations',
  '_params',
  'sqlite_master',
  'sqlite_sequence',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The collection `input` describes, merged over `existing` for an update. Throws PocketBase's 400
 * with `data.<key>` errors; what it returns has complete, typed fields and options.
 */
export function buildCollection(
  input: unknown,
  existing: Collection | undefined,
  schema: Schema,
): Collection {
  if (!isObject(input)) throw ApiError.badRequest('Failed to load the submitted data.');
  const errors: ErrorData = {};
  const type = (existing?.type ?? input['type'] ?? 'base') as CollectionType;
  if (!['base', 'auth', 'view'].includes(type)) {
    errors['type'] = { code: 'validation_in_invalid', message: 'Must be a valid value.' };
  } else if (existing && input['type'] !== undefined && input['type'] !== existing.type) {
    errors['type'] = {
      code: 'validation_collection_type_change',
      message: 'Collection type cannot be changed.',
    };
  }
  const name = input['name'] ?? existing?.name;
  checkName(name, existing, schema, errors);
  const id =
    existing?.id ?? (typeof input['id'] === 'string' && input['id'] !== '' ? input['id'] : undefined);
  if (!existing && id !== undefined && (!/^\w{1,100}$/.test(id) || schema.find(id))) {
    errors['id'] = { code: 'validation_invalid_value', message: 'The id is invalid or already taken.' };
  }
  const collection: Collection = {
    id: id ?? defaultCollectionId(type, String(name)),
    name: String(name),
    type,
    system: existing?.system ?? false,
    fields: [],
    indexes: [],
    listRule: null,
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
    created: existing?.created ?? formatDateTime(new Date()),
    updated: formatDateTime(new Date()),
  };
  for (const rule of RULES) {
    const value = rule in input ? input[rule] : (existing?.[rule] ?? null);
    if (value !== null && typeof value !== 'string') {
      errors[rule] = { code: 'validation_invalid_value', message: 'Must be a filter text or null.' };
    } else {
      collection[rule] = value;
    }
    if (existing?.system && existing[rule] !== collection[rule] && existing.name === '_superusers') {
      errors[rule] = {
        code: 'validation_system_rule_change',
        message: 'System collection rules cannot be changed.',
      };
    }
  }
  if (type === 'view') {
    const query = input['viewQuery'] ?? existing?.viewQuery;
    if (typeof query !== 'string' || query.trim() === '') {
      errors['viewQuery'] = { code: 'validation_required', message: 'Cannot be blank.' };
    } else collection.viewQuery = query.trim().replace(/;\s*$/, '');
    collection.createRule = collection.updateRule = collection.deleteRule = null;
  } else {
    collection.fields = buildFields(input['fields'], existing, type, errors);
    const indexes = input['indexes'] ?? existing?.indexes ?? [];
    if (!Array.isArray(indexes) || indexes.some((i) => typeof i !== 'string')) {
      errors['indexes'] = {
        code: 'validation_invalid_value',
        message: 'Must be a list of index definitions.',
      };
    } else {
      collection.indexes = indexes as string[];
    }
  }
  if (type === 'auth') collection.auth = buildAuthOptions(input, existing?.auth, errors);
  if (Object.keys(errors).length > 0) {
    throw ApiError.badRequest(
      existing ? 'Failed to update collection.' : 'Failed to create collection.',
      errors,
    );
  }
  return collection;
}

function checkName(name: unknown, existing: Collection | undefined, schema: Schema, errors: ErrorData): void {
  if (typeof name !== 'string' || name === '') {
    errors['name'] = { code: 'validation_required', message: 'Cannot be blank.' };
  } else if (name.length > 100 || !COLLECTION_NAME_PATTERN.test(name)) {
    errors['name'] = { code: 'validation_match_invalid', message: 'Must be in a valid format.' };
  } else if (existing?.system && name !== existing.name) {
    errors['name'] = {
      code: 'validation_system_collection_rename',
      message: 'System collections cannot be renamed.',
    };
  } else if (RESERVED_COLLECTION_NAMES.has(name.toLowerCase()) || name.toLowerCase().startsWith('sqlite_')) {
    errors['name'] = { code: 'validation_not_in_invalid', message: 'The name is reserved.' };
  } else {
    const other = schema.find(name);
    if (other && other.id !== existing?.id) {
      errors['name'] = {
        code: 'validation_collection_name_exists',
        message: 'Collection name must be unique (case insensitive).',
      };
    }
  }
}

function buildFields(
  input: unknown,
  existing: Collection | undefined,
  type: CollectionType,
  errors: ErrorData,
): Field[] {
  if (input !== undefined && !Array.isArray(input)) {
    errors['fields'] = { code: 'validation_invalid_value', message: 'Must be a list of fields.' };
    return [];
  }
  const given = (input ?? existing?.fields ?? []) as unknown[];
  const fieldErrors: ErrorData = {};
  const fields: Field[] = [];
  given.forEach((raw, i) => {
    const r = isObject(raw) ? raw : {};
    const previous =
      existing?.fields.find((f) => typeof r['id'] === 'string' && f.id === r['id']) ??
      (r['id'] === undefined ? existing?.fields.find((f) => f.name === r['name']) : undefined);
    const { field, errors: e } = normalizeField(raw, previous);
    if (field) fields.push(field);
    else fieldErrors[String(i)] = e;
  });
  // System fields are always there, with their system options; clients may only add to them.
  const system = systemFields(type);
  const merged: Field[] = [];
  for (const sys of system) {
    const given = fields.find((f) => f.name === sys.name);
    const kept = existing?.fields.find((f) => f.name === sys.name);
    merged.push(
      given && given.type === sys.type
        ? ({ ...given, ...pickSystem(sys), system: true } as Field)
        : (kept ?? sys),
    );
  }
  for (const f of fields) if (!system.some((s) => s.name === f.name)) merged.push(f);
  const seenNames = new Map<string, number>();
  const seenIds = new Set<string>();
  merged.forEach((f, i) => {
    const key = f.name.toLowerCase();
    if (seenNames.has(key) || seenIds.has(f.id)) {
      fieldErrors[String(i)] = {
        name: { code: 'validation_duplicated_field_name', message: 'Duplicated or invalid field name.' },
      };
    }
    seenNames.set(key, i);
    seenIds.add(f.id);
  });
  for (const removed of input === undefined ? [] : (existing?.fields ?? [])) {
    if (removed.system && !fields.some((f) => f.id === removed.id || f.name === removed.name)) {
      fieldErrors['system'] = {
        code: 'validation_system_field_removal',
        message: `System field ${removed.name} cannot be removed.`,
      } as FieldError;
    }
  }
  if (Object.keys(fieldErrors).length > 0) errors['fields'] = fieldErrors;
  return merged;
}

/** Options a system field keeps whatever a client sends (PocketBase enforces the same ones). */
function pickSystem(sys: Field): Partial<Field> {
  const out: Record<string, unknown> = { type: sys.type, name: sys.name };
  if (sys.name === 'id') Object.assign(out, { primaryKey: true, required: true, hidden: false });
  if (sys.name === 'password' || sys.name === 'tokenKey')
    Object.assign(out, { hidden: true, required: true });
  if (sys.name === 'email') Object.assign(out, { hidden: false });
  return out as Partial<Field>;
}

function buildAuthOptions(
  input: Record<string, unknown>,
  existing: AuthOptions | undefined,
  errors: ErrorData,
): AuthOptions {
  const options = structuredClone(existing ?? defaultAuthOptions());
  for (const key of ['authRule', 'manageRule'] as const) {
    if (!(key in input)) continue;
    const v = input[key];
    if (v !== null && typeof v !== 'string')
      errors[key] = { code: 'validation_invalid_value', message: 'Must be a filter text or null.' };
    else options[key] = v;
  }
  for (const key of Object.keys(options) as (keyof AuthOptions)[]) {
    if (key === 'authRule' || key === 'manageRule' || !(key in input)) continue;
    const v = input[key];
    if (!isObject(v)) {
      errors[key] = { code: 'validation_invalid_value', message: 'Must be an object.' };
      continue;
    }
    // Known keys keep their type; anything else is ignored (the accounts issue fills these in).
    const target = options[key] as Record<string, unknown>;
    for (const [k, value] of Object.entries(v)) {
      if (
        k in target &&
        typeof value === typeof target[k] &&
        Array.isArray(value) === Array.isArray(target[k])
      )
        target[k] = value;
    }
  }
  checkMfaAndOtp(options, errors);
  return options;
}

/** Fewest and most digits of a one-time password (PocketBase: at least 4 when enabled, default 8). */
export const OTP_LENGTH_MIN = 6;
export const OTP_LENGTH_MAX = 32;
/** How long a one-time password may live, in seconds (PocketBase's bounds). */
export const OTP_DURATION_MIN = 10;
export const OTP_DURATION_MAX = 86_400;

/**
 * Checks on the merged `mfa` and `otp` options, as PocketBase's MFAConfig/OTPConfig.Validate, with
 * two differences. MFA cannot be turned on: nothing here asks for a second factor yet, so a
 * collection imported from PocketBase with MFA on would silently sign in with one. And an OTP has
 * at least 6 digits (PocketBase: 4): with 5 tries per code, 4 digits is 1 in 2000 per code sent.
 * As in PocketBase, `otp` is checked only while OTP is on (it is used only then); every save checks
 * the merged options, so turning OTP on with a short length stored earlier is refused too.
 */
function checkMfaAndOtp(options: AuthOptions, errors: ErrorData): void {
  if (options.mfa.enabled) {
    errors['mfa'] = {
      enabled: {
        code: 'validation_not_supported',
        message: 'Multi-factor authentication is not supported yet.',
      },
    };
  }
  if (!options.otp.enabled) return;
  const otpErrors: ErrorData = {};
  const { length, duration } = options.otp;
  const range = (value: number, min: number, max: number): FieldError | undefined => {
    if (!Number.isSafeInteger(value))
      return { code: 'validation_invalid_value', message: 'Must be a whole number.' };
    if (value < min)
      return { code: 'validation_min_greater_equal_than_required', message: `Must be no less than ${min}.` };
    if (value > max)
      return { code: 'validation_max_less_equal_than_required', message: `Must be no greater than ${max}.` };
    return undefined;
  };
  const lengthError = range(length, OTP_LENGTH_MIN, OTP_LENGTH_MAX);
  if (lengthError) otpErrors['length'] = lengthError;
  const durationError = range(duration, OTP_DURATION_MIN, OTP_DURATION_MAX);
  if (durationError) otpErrors['duration'] = durationError;
  if (Object.keys(otpErrors).length > 0) errors['otp'] = otpErrors;
}
