import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { verifyRecordToken } from '../auth/record-tokens';
import { ApiError } from '../core/errors';
import { readJsonBody, requireSuperuser, SUPERUSERS, type ApiApp } from '../core/http';
import { readMultipart, Upload } from '../files/files.upload';
import type { Deps } from '../main';
import { HEARTH_VERSION } from '../version';
import { BackupError } from './backups.manifest';
import { Backups, BusyError } from './backups.service';
import { DEFAULT_MAX_BACKUP_BYTES } from './backups.unpack';

export { applyPendingRestore, Backups } from './backups.service';

/**
 * Backups over HTTP (issue 9), PocketBase's API (apis/backup.go), superusers only:
 * `GET /api/backups` → `[{key, size, modified}]`; `POST /api/backups` `{name?}` → 204 once made;
 * `POST /api/backups/upload` (multipart `file`, checked as a restore would) → 204;
 * `GET /api/backups/{key}?token=` (a superuser's file token) → the zip; `DELETE /api/backups/{key}`;
 * `POST /api/backups/{key}/restore` → 204: the backup is checked now and swapped in as the server
 * starts over (RestartRequested; `hearth serve` restarts itself on the same address).
 *
 * The job `__pbBackups__` makes `auto_…` backups on the `backups.cron` schedule and keeps the
 * newest `backups.cronMaxKeep` of them.
 */
export function register(app: ApiApp, deps: Deps): void {
  const backups = new Backups({
    db: deps.db,
    dataDir: deps.config.dir,
    build: { knownMigrations: deps.migrations.map((m) => m.id), version: HEARTH_VERSION },
  });
  scheduleAutomaticBackups(deps, backups);

  app.get('/api/backups', async (c) => {
    requireSuperuser(c);
    return c.json(await backups.list());
  });

  app.post('/api/backups', async (c) => {
    requireSuperuser(c);
    const body = await readJsonBody(c, { optional: true });
    const name = body['name'];
    if (name !== undefined && name !== '' && typeof name !== 'string') {
      throw ApiError.badRequest('An error occurred while validating the submitted data.', {
        name: { code: 'validation_invalid_name', message: 'Must be a file name.' },
      });
    }
    await answer(() => backups.create(typeof name === 'string' && name !== '' ? name : undefined), 'name');
    return c.body(null, 204);
  });

  app.post('/api/backups/upload', async (c) => {
    requireSuperuser(c);
    const body = await readMultipart(c, {
      storage: deps.files,
      fileLimit: (key) => (key === 'file' ? DEFAULT_MAX_BACKUP_BYTES : null),
      maxValueBytes: 4096,
      maxBodyBytes: DEFAULT_MAX_BACKUP_BYTES + 1024 * 1024,
    });
    try {
      const upload = body.entries.find(([key, value]) => key === 'file' && value instanceof Upload)?.[1];
      if (!(upload instanceof Upload)) {
        throw ApiError.badRequest('An error occurred while validating the submitted data.', {
          file: { code: 'validation_required', message: 'Missing required value.' },
        });
      }
      await answer(() => backups.adopt(upload.tempPath, upload.originalName), 'file');
    } finally {
      body.discard();
    }
    return c.body(null, 204);
  });

  app.get('/api/backups/:key', (c) => {
    const token = c.req.query('token')?.trim() ?? '';
    const owner = token ? verifyRecordToken(deps, token, 'file') : null;
    if (owner?.collection.id !== SUPERUSERS.id) {
      throw ApiError.forbidden('Insufficient permissions to access the resource.');
    }
    const key = c.req.param('key');
    const file = found(() => backups.path(key));
    c.header('content-type', 'application/zip');
    c.header('content-disposition', `attachment; filename="${key}"`);
    c.header('cache-control', 'no-store');
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream);
  });

  app.delete('/api/backups/:key', async (c) => {
    requireSuperuser(c);
    found(() => backups.path(c.req.param('key')));
    await answer(() => backups.delete(c.req.param('key')));
    return c.body(null, 204);
  });

  app.post('/api/backups/:key/restore', async (c) => {
    requireSuperuser(c);
    found(() => backups.path(c.req.param('key')));
    await answer(() => backups.scheduleRestore(c.req.param('key')));
    // After the answer: the server drains, restores and starts over.
    setImmediate(() => deps.bus.publish('RestartRequested', { reason: 'restore' }));
    return c.body(null, 204);
  });
}

/** The `__pbBackups__` job follows `backups.cron` (empty: disabled). */
function scheduleAutomaticBackups(deps: Deps, backups: Backups): void {
  deps.cron.handle(
    'backups.create',
    async () => {
      const made = await backups.create(undefined, new Date(), { automatic: true });
      const pruned = await backups.prune(deps.settings.get('backups.cronMaxKeep'));
      return `${made.name} (${made.size} bytes)${pruned.length ? `; deleted ${pruned.join(', ')}` : ''}`;
    },
    { timeoutMs: 6 * 60 * 60 * 1000 },
  );
  // The job follows backups.cron: changed through the API at once, from another process (`hearth
  // config set`) at the next scheduler tick. An admin's change of the job on the Jobs page is
  // written back into the setting (onEdited), so the two never disagree and nothing is overruled.
  let applied: string | null = null;
  const follow = () => {
    const schedule = deps.settings.get('backups.cron');
    if (schedule === applied) return;
    applied = schedule;
    deps.cron.ensureSystemJob({
      id: '__pbBackups__',
      handler: 'backups.create',
      // Disabled jobs keep a schedule; this one is never used while backups.cron is empty.
      schedule: schedule || '0 3 * * *',
      enabled: schedule !== '',
      follow: true,
    });
  };
  deps.cron.onEdited('__pbBackups__', ({ schedule, enabled }) => {
    applied = enabled ? schedule : '';
    deps.settings.set({ 'backups.cron': applied });
  });
  follow();
  deps.bus.subscribe('SettingsUpdate', ({ keys }) => {
    // Delivered at commit, before the settings store rereads: follow() reads the new value a tick later.
    if (keys.includes('backups.cron')) queueMicrotask(follow);
  });
  deps.cron.onTick(follow);
  // What a killed backup left (its .partial files) goes once nothing has written to it for a while.
  void backups
    .removeStalePartials()
    .catch((err: unknown) => deps.logger.warn({ err }, 'stale partial backups'));
}

/** Runs a backup operation, turning its refusals into PocketBase's 400s. */
async function answer<T>(work: () => Promise<T>, field?: string): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BusyError) throw ApiError.badRequest(err.message);
    if (err instanceof BackupError) {
      const data = field
        ? { [field]: { code: `validation_backup_${err.code.replace(/-/g, '_')}`, message: err.message } }
        : undefined;
      throw ApiError.badRequest(err.message, data);
    }
    throw err;
  }
}

/** A backup that is not there (or a name that cannot be one) is a 404. */
function found<T>(lookup: () => T): T {
  try {
    return lookup();
  } catch (err) {
    if (err instanceof BackupError) throw ApiError.notFound('Missing or invalid backup file.');
    throw err;
  }
}
