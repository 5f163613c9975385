import { z } from 'zod';
import { ApiError, type ErrorData } from '../core/errors';
import { readJsonBody, requireSuperuser, type ApiApp } from '../core/http';
import { SettingsError, type SettingDefs } from '../core/settings';
import type { Deps } from '../main';
import { settingDefs } from './registry';

/**
 * GET|PATCH /api/settings (superusers), in PocketBase's nested shape: the store's dotted keys
 * (`meta.appName`) become `{ "meta": { "appName": … } }`. PATCH takes any part of that shape,
 * validates all of it and writes all or nothing. Secrets (`smtp.password`) are left out of every
 * answer, as PocketBase leaves them out; a PATCH that sends '' for one keeps the stored value, so
 * sending back what GET returned, or a form with an untouched password box, never wipes it.
 */
export function register(app: ApiApp, deps: Deps): void {
  app.get('/api/settings', (c) => {
    requireSuperuser(c);
    return c.json(nest(deps.settings.redacted()));
  });

  // Hearth only: what each setting is, so the console renders a form for settings it does not know.
  const schema = describeSettings(settingDefs);
  app.get('/api/hearth/settings/schema', (c) => {
    requireSuperuser(c);
    return c.json(schema);
  });

  app.patch('/api/settings', async (c) => {
    requireSuperuser(c);
    const { values, errors } = flatten(await readJsonBody(c), new Set(deps.settings.keys()));
    for (const [key, value] of Object.entries(values)) {
      if (value === '' && deps.settings.isSecret(key)) {
        delete values[key];
        continue;
      }
      try {
        values[key] = deps.settings.validate(key, value);
      } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        addError(
          errors,
          key,
          'validation_invalid_value',
          err.message.replace(/^Invalid value for [^:]+: /, ''),
        );
      }
    }
    if (Object.keys(errors).length > 0) throw ApiError.badRequest('Failed to update the settings.', errors);
    deps.settings.set(values);
    return c.json(nest(deps.settings.redacted()));
  });
}

export interface SettingSchema {
  key: string;
  /** The part of the key before the first dot: the object GET /api/settings nests it in. */
  section: string;
  name: string;
  default: unknown;
  /** Never sent by GET /api/settings; PATCH with '' keeps the stored value. */
  secret: boolean;
  description: string;
  /** JSON Schema (draft 2020-12) of the values PATCH accepts. */
  schema: Record<string, unknown>;
}

/**
 * Every setting with a JSON Schema of what it accepts, sorted by key. `io: 'input'` describes what a
 * client may send (before zod's transforms); parts JSON Schema cannot express (a transform's own
 * checks) become `{}`, which accepts anything, and the server still checks every PATCH.
 */
export function describeSettings(defs: SettingDefs): SettingSchema[] {
  return Object.keys(defs)
    .sort()
    .map((key) => {
      const def = defs[key]!;
      const dot = key.indexOf('.');
      return {
        key,
        section: key.slice(0, dot),
        name: key.slice(dot + 1),
        default: def.default as unknown,
        secret: def.secret === true,
        description: def.description,
        schema: z.toJSONSchema(def.schema, { io: 'input', unrepresentable: 'any' }) as Record<
          string,
          unknown
        >,
      };
    });
}

/** `{a.b: 1, a.c: 2}` → `{a: {b: 1, c: 2}}`. */
export function nest(flat: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(flat)) {
    const dot = key.indexOf('.');
    (out[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
  }
  return out;
}

/** The inverse of nest for a request body, reporting sections and fields this build does not have. */
function flatten(
  body: Record<string, unknown>,
  known: Set<string>,
): { values: Record<string, unknown>; errors: ErrorData } {
  const values: Record<string, unknown> = {};
  const errors: ErrorData = {};
  for (const [section, fields] of Object.entries(body)) {
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      errors[section] = { code: 'validation_invalid_value', message: 'Must be an object.' };
      continue;
    }
    for (const [field, value] of Object.entries(fields)) {
      const key = `${section}.${field}`;
      if (known.has(key)) values[key] = value;
      else addError(errors, key, 'validation_unknown_field', 'Unknown setting.');
    }
  }
  return { values, errors };
}

function addError(errors: ErrorData, key: string, code: string, message: string): void {
  const dot = key.indexOf('.');
  const section = key.slice(0, dot);
  const existing = errors[section];
  const nested = (existing && !('code' in existing) ? existing : {}) as Record<
    string,
    { code: string; message: string }
  >;
  nested[key.slice(dot + 1)] = { code, message: message.endsWith('.') ? message : `${message}.` };
  errors[section] = nested;
}
