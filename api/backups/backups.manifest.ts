import { join } from 'node:path';
import { z } from 'zod';

/**
 * What a Hearth backup is: one zip holding `data.db` (a consistent snapshot), the files under
 * `storage/`, and `manifest.json`, written last, which lists every other entry with its size and
 * SHA-256. Restoring trusts nothing in the zip that the manifest and these rules do not vouch for.
 */

/** Backups live in `<dataDir>/backups/`, as PocketBase keeps them in `pb_data/backups`. */
export const BACKUPS_DIR = 'backups';
/** The database in the zip; the same name as in the data folder (DATABASE_FILE in api/main.ts). */
export const DATABASE_ENTRY = 'data.db';
/** Uploaded files: `storage/…` in the zip, `<dataDir>/storage/…` on disk. */
export const STORAGE_DIR = 'storage';
export const MANIFEST_ENTRY = 'manifest.json';
/** Bumped when a reader of the old format could not restore the new one. */
export const MANIFEST_FORMAT = 1;

/** A name the HTTP API and the CLI may accept for a backup: a plain file name, never a path. */
export const BACKUP_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,146}\.zip$/;

/** The folder that holds the backups of a data folder. */
export function backupsDir(dataDir: string): string {
  return join(dataDir, BACKUPS_DIR);
}

/** `hearth_backup_20261122023000.zip` (UTC), sorting by time. */
export function defaultBackupName(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:T]/g, '');
  return `hearth_backup_${stamp}.zip`;
}

export type BackupErrorCode =
  /** Not a zip, or a zip without a Hearth manifest. */
  | 'not-a-backup'
  /** Truncated or damaged: entries that do not match the manifest, a bad CRC, a database that fails its check. */
  | 'corrupt'
  /** An entry whose name could leave the folder it is unpacked into, or a link. */
  | 'unsafe-path'
  /** Over the size cap, or compressed beyond what deflate can do (a zip bomb). */
  | 'too-large'
  /** An entry's bytes are not the ones the manifest hashed. */
  | 'hash-mismatch'
  /** Made by a newer Hearth: migrations, version or format this build does not know. */
  | 'newer'
  /** Not enough free disk space to unpack it. */
  | 'no-space'
  /** Unpacked and checked, but moving it into place failed; the live data was put back. */
  | 'swap-failed'
  /** A backup of that name exists already. */
  | 'exists';

/** The one error backups throw; `message` is for the user (the HTTP API sends it as it is). */
export class BackupError extends Error {
  override name = 'BackupError';

  constructor(
    readonly code: BackupErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

const manifestSchema = z.object({
  format: z.number().int().min(1),
  app: z.literal('hearth'),
  version: z.string().regex(SEMVER_RE),
  createdAt: z.iso.datetime(),
  migrations: z.array(z.string().min(1).max(200)),
  entries: z.array(
    z.object({
      path: z.string().min(1).max(4096),
      size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  ),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = BackupManifest['entries'][number];

/**
 * The manifest in `bytes`, or a `not-a-backup` error. A manifest of a newer format is refused as
 * `newer` before its shape is checked: that shape may have changed.
 */
export function parseManifest(bytes: Uint8Array): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new BackupError('not-a-backup', 'This is not a Hearth backup: its manifest.json is not JSON.');
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format > MANIFEST_FORMAT) {
    throw new BackupError(
      'newer',
      `This backup was made by a newer Hearth (backup format ${format}; this one reads ${MANIFEST_FORMAT}). Restore it with that version.`,
    );
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'manifest';
    throw new BackupError(
      'not-a-backup',
      `This is not a Hearth backup: its manifest.json is not valid (${where}: ${issue?.message ?? 'invalid'}).`,
    );
  }
  return parsed.data;
}

type Semver = [number, number, number, string[]];

function parseSemver(version: string): Semver | null {
  const m = SEMVER_RE.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4]?.split('.') ?? []] : null;
}

/** Semantic Versioning 2.0.0 §11 precedence: negative when `a` is older than `b`; null if either is not semver. */
export function compareVersions(a: string, b: string): number | null {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return null;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  const [pa, pb] = [x[3], y[3]];
  // A release is newer than its pre-releases: 1.0.0-rc.1 < 1.0.0.
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length;
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [sa, sb] = [pa[i]!, pb[i]!];
    if (sa === sb) continue;
    const [na, nb] = [/^\d+$/.test(sa), /^\d+$/.test(sb)];
    if (na && nb) return Number(sa) - Number(sb);
    if (na !== nb) return na ? -1 : 1; // numeric identifiers sort before alphanumeric ones
    return sa < sb ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * Refuses a manifest this build cannot restore: one that lists migrations it does not know (a newer
 * Hearth changed the schema) or names a newer version. An older backup passes: its database is
 * migrated forward when Hearth next opens it.
 */
export function assertRestorable(
  manifest: BackupManifest,
  build: { knownMigrations: readonly string[]; version: string },
): void {
  const known = new Set(build.knownMigrations);
  const unknown = manifest.migrations.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    const shown =
      unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? `, and ${unknown.length - 5} more` : '');
    throw new BackupError(
      'newer',
      `This backup was made by a newer Hearth: its database has migrations this one (${build.version}) does not know (${shown}). Restore it with the Hearth that made it (${manifest.version}) or a later one.`,
    );
  }
  const order = compareVersions(manifest.version, build.version);
  if (order === null) {
    throw new BackupError(
      'not-a-backup',
      `Cannot compare versions ${manifest.version} and ${build.version}.`,
    );
  }
  if (order > 0) {
    throw new BackupError(
      'newer',
      `This backup was made by a newer Hearth (${manifest.version}) than this one (${build.version}). Restore it with Hearth ${manifest.version} or later.`,
    );
  }
}

const SEGMENT_MAX_BYTES = 255; // NAME_MAX on Linux and most file systems
const PATH_MAX_LENGTH = 4096;

/**
 * Why `name` may not be unpacked, or null when it is safe: a relative path of plain segments joined
 * by `/`, one of `manifest.json`, `data.db` or `storage/<…>`. Refused: absolute paths, drive letters
 * and colons (`C:x`, NTFS streams), backslashes (a separator on Windows: `..\x`), empty, `.` and `..`
 * segments, control characters (NUL above all), and segments longer than a file system allows. Joined
 * to any folder, an accepted name stays inside it (backups.manifest.test.ts checks this as a property).
 */
export function entryPathProblem(name: string): string | null {
  if (name.length === 0 || name.length > PATH_MAX_LENGTH) return 'empty or too long';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control character';
  if (name.includes('\\')) return 'backslash';
  if (name.includes(':')) return 'colon or drive letter';
  if (name.startsWith('/')) return 'absolute path';
  const segments = name.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return `"${segment}" segment`;
    if (Buffer.byteLength(segment) > SEGMENT_MAX_BYTES) return 'segment too long';
  }
  if (name === MANIFEST_ENTRY || name === DATABASE_ENTRY) return null;
  if (segments[0] === STORAGE_DIR && segments.length > 1) return null;
  return 'not part of a Hearth backup';
}
