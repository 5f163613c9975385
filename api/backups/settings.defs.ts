import { z } from 'zod';
import { defineSettings } from '../core/settings';
import { parseSchedule, ScheduleError } from '../cron/cron.schedule';

function validSchedule(value: string): boolean {
  if (value === '') return true;
  try {
    parseSchedule(value);
    return true;
  } catch (err) {
    if (err instanceof ScheduleError) return false;
    throw err;
  }
}

/** Automatic backups, as PocketBase's `backups` settings (the S3 target is not supported yet). */
export const backupSettings = defineSettings({
  'backups.cron': {
    schema: z
      .string()
      .trim()
      .max(120)
      .refine(
        validSchedule,
        'Must be a cron expression such as "0 3 * * *" or an interval such as "every 12h"',
      ),
    default: '',
    description:
      'When to make a backup automatically (the job __pbBackups__): a cron expression in UTC or "every 12h"; empty: never.',
  },
  'backups.cronMaxKeep': {
    schema: z.number().int().min(1).max(1000),
    default: 3,
    description: 'How many automatic backups to keep; older ones are deleted after each new one.',
  },
});
