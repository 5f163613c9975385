/**
 * The collection model as PocketBase (v0.23+) serializes it and the SDK's CollectionModel reads it:
 * a field's own options are flattened onto the field. Stored in `_collections`; every base and auth
 * collection is a real table with one column per field (collections.schema.ts), a view collection is
 * a SQL view.
 */

export type CollectionType = 'base' | 'auth' | 'view';

export const FIELD_TYPES = [
  'text',
  'number',
  'bool',
  'email',
  'url',
  'editor',
  'date',
  'autodate',
  'select',
  'json',
  'file',
  'relation',
  'password',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

interface FieldCommon {
  id: string;
  name: string;
  system: boolean;
  hidden: boolean;
  presentable: boolean;
}

export interface TextField extends FieldCommon {
  type: 'text';
  required: boolean;
  primaryKey: boolean;
  /** Length in characters; 0 = no limit (max defaults to 5000 when 0, as PocketBase). */
  min: number;
  max: number;
  pattern: string;
  autogeneratePattern: string;
}
export interface NumberField extends FieldCommon {
  type: 'number';
  required: boolean;
  min: number | null;
  max: number | null;
  onlyInt: boolean;
}
export interface BoolField extends FieldCommon {
  type: 'bool';
  required: boolean;
}
export interface EmailField extends FieldCommon {
  type: 'email';
  required: boolean;
  exceptDomains: string[] | null;
  onlyDomains: string[] | null;
}
export interface UrlField extends FieldCommon {
  type: 'url';
  required: boolean;
  exceptDomains: string[] | null;
  onlyDomains: string[] | null;
}
export interface EditorField extends FieldCommon {
  type: 'editor';
  required: boolean;
  maxSize: number;
  convertURLs: boolean;
}
export interface DateField extends FieldCommon {
  type: 'date';
  required: boolean;
  /** PocketBase datetime text or ''. */
  min: string;
  max: string;
}
export interface AutodateField extends FieldCommon {
  type: 'autodate';
  onCreate: boolean;
  onUpdate: boolean;
}
export interface SelectField extends FieldCommon {
  type: 'select';
  required: boolean;
  values: string[];
  /** ≤ 1 = a single value (TEXT column), more = a JSON array. */
  maxSelect: number;
}
export interface JsonField extends FieldCommon {
  type: 'json';
  required: boolean;
  maxSize: number;
}
export interface FileField extends FieldCommon {
  type: 'file';
  required: boolean;
  maxSelect: number;
  maxSize: number;
  mimeTypes: string[] | null;
  thumbs: string[] | null;
  protected: boolean;
}
export interface RelationField extends FieldCommon {
  type: 'relation';
  required: boolean;
  collectionId: string;
  cascadeDelete: boolean;
  minSelect: number;
  maxSelect: number;
}
export interface PasswordField extends FieldCommon {
  type: 'password';
  required: boolean;
  min: number;
  max: number;
  pattern: string;
  cost: number;
}

export type Field =
  | TextField
  | NumberField
  | BoolField
  | EmailField
  | UrlField
  | EditorField
  | DateField
  | AutodateField
  | SelectField
  | JsonField
  | FileField
  | RelationField
  | PasswordField;

export type FieldOf<T extends FieldType> = Extract<Field, { type: T }>;

/** Options only auth collections have; the accounts issue fills in what they drive. */
export interface AuthOptions {
  authRule: string | null;
  manageRule: string | null;
  passwordAuth: { enabled: boolean; identityFields: string[] };
  oauth2: { enabled: boolean; mappedFields: Record<string, string>; providers: unknown[] };
  mfa: { enabled: boolean; duration: number; rule: string };
  otp: { enabled: boolean; duration: number; length: number };
  authAlert: { enabled: boolean };
  authToken: { duration: number };
  passwordResetToken: { duration: number };
  emailChangeToken: { duration: number };
  verificationToken: { duration: number };
  fileToken: { duration: number };
}

export interface Collection {
  id: string;
  name: string;
  type: CollectionType;
  system: boolean;
  fields: Field[];
  indexes: string[];
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  created: string;
  updated: string;
  /** View collections only. */
  viewQuery?: string;
  /** Auth collections only. */
  auth?: AuthOptions;
}

export type RuleName = 'listRule' | 'viewRule' | 'createRule' | 'updateRule' | 'deleteRule';

/** A field is multi-valued (a JSON array column) when it can hold more than one value. */
export function isMultiple(field: Field): boolean {
  return (
    (field.type === 'select' || field.type === 'file' || field.type === 'relation') && field.maxSelect > 1
  );
}

/** PocketBase's limit for one file when a field sets none (maxSize 0): 5 MiB. */
export const DEFAULT_FILE_MAX_SIZE = 5 * 1024 * 1024;

export function fileMaxSize(field: FileField): number {
  return field.maxSize > 0 ? field.maxSize : DEFAULT_FILE_MAX_SIZE;
}

export function findField(collection: Collection, name: string): Field | undefined {
  return collection.fields.find((f) => f.name === name);
}

/**
 * Read access to the current collections, for code that must follow relations (filters, expand,
 * cascades). Names are matched case-insensitively, as PocketBase does.
 */
export interface Schema {
  /** By id or name; undefined when there is none. */
  find(idOrName: string): Collection | undefined;
  all(): readonly Collection[];
}
