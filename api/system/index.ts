import { requireSuperuser, type ApiApp } from '../core/http';
import { migrationStatus, type MigrationState } from '../core/migrate';
import type { Deps } from '../main';

/** One migration as GET /api/hearth/migrations shows it; times ISO 8601 UTC. */
export interface MigrationJSON {
  id: string;
  capability: string;
  /** From the file name; null for a recorded id this build cannot read a time from. */
  time: string | null;
  /** When it ran, or null while pending. */
  applied: string | null;
}

/**
 * Hearth-only system information for superusers (the console's "System" page): what the database
 * has been migrated to, read without writing anything.
 */
export function register(app: ApiApp, deps: Deps): void {
  app.get('/api/hearth/migrations', (c) => {
    requireSuperuser(c);
    const status = migrationStatus(deps.db, deps.migrations);
    return c.json({
      applied: status.applied.map(toJSON),
      pending: status.pending.map(toJSON),
      unknown: status.unknown.map(toJSON),
    });
  });
}

function toJSON(m: MigrationState): MigrationJSON {
  return { id: m.id, capability: m.capability, time: m.time || null, applied: isoTime(m.applied) };
}

/** `_migrations.applied` is written as ISO 8601 UTC; a row another tool wrote is normalized to it. */
function isoTime(text: string | null): string | null {
  if (text === null) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}
