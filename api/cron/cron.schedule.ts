import { Cron } from 'croner';

/**
 * A job's schedule: a cron expression (five fields, minute to weekday, or a macro such as `@daily`),
 * read in UTC as PocketBase does, or an interval, `every 15m` / `every 1h` / `every 2d` (from the
 * job's last run). Croner parses the cron expressions.
 */
export type Schedule =
  { kind: 'cron'; expression: string; cron: Cron } | { kind: 'every'; expression: string; ms: number };

export class ScheduleError extends Error {}

const EVERY = /^every\s+(\d{1,6})\s*(s|m|h|d)$/i;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Shorter intervals would have a job run nearly back to back with its own history writes. */
const MIN_INTERVAL_MS = 60_000;
const MAX_INTERVAL_MS = 366 * UNIT_MS.d;
const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

export function parseSchedule(text: string): Schedule {
  const expression = text.trim().replace(/\s+/g, ' ');
  if (expression === '') throw new ScheduleError('The schedule cannot be blank.');
  if (expression.length > 120) throw new ScheduleError('The schedule is too long.');
  const every = EVERY.exec(expression);
  if (every) {
    const ms = Number(every[1]) * UNIT_MS[every[2]!.toLowerCase() as keyof typeof UNIT_MS];
    if (ms < MIN_INTERVAL_MS) throw new ScheduleError('An interval must be at least 1 minute.');
    if (ms > MAX_INTERVAL_MS) throw new ScheduleError('An interval can be at most 366 days.');
    return { kind: 'every', expression: expression.toLowerCase(), ms };
  }
  if (/^every\b/i.test(expression)) {
    throw new ScheduleError('Write an interval as "every" and a number with m, h or d, e.g. "every 15m".');
  }
  const macro = MACROS.includes(expression.toLowerCase());
  if (!macro && expression.split(' ').length !== 5) {
    throw new ScheduleError(
      'A cron expression has five fields (minute hour day month weekday), e.g. "0 3 * * *".',
    );
  }
  try {
    const cron = new Cron(macro ? expression.toLowerCase() : expression, { paused: true, timezone: 'UTC' });
    if (cron.nextRun(new Date(0)) === null) throw new ScheduleError('This cron expression never fires.');
    return { kind: 'cron', expression, cron };
  } catch (err) {
    if (err instanceof ScheduleError) throw err;
    throw new ScheduleError(
      `Not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`,
    );
  }
}

/**
 * When a job runs next: a cron expression's next time after `now`; an interval counts from the last
 * run: at once if it never ran, or when it is overdue (after downtime).
 */
export function nextRunAt(schedule: Schedule, now: Date, lastRun: Date | null): Date | null {
  if (schedule.kind === 'cron') return schedule.cron.nextRun(now);
  if (lastRun === null) return now;
  const next = lastRun.getTime() + schedule.ms;
  return new Date(Math.max(next, now.getTime()));
}
