import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { nextRunAt, parseSchedule, ScheduleError, type Schedule } from './cron.schedule';

/** What parseSchedule said about `text`: the schedule, or the ScheduleError's message. */
function outcome(text: string): Schedule | string {
  try {
    return parseSchedule(text);
  } catch (err) {
    if (err instanceof ScheduleError) return err.message;
    throw err;
  }
}

const FIVE_FIELDS = 'A cron expression has five fields (minute hour day month weekday), e.g. "0 3 * * *".';
const EVERY_FORM = 'Write an interval as "every" and a number with m, h or d, e.g. "every 15m".';

describe('parseSchedule accepts', () => {
  test.each([
    // [input, kind, stored expression, interval ms for `every`]
    ['0 3 * * *', 'cron', '0 3 * * *', null],
    ['*/15 * * * *', 'cron', '*/15 * * * *', null],
    ['  0   3 *  * *  ', 'cron', '0 3 * * *', null],
    ['0\t3\n* * *', 'cron', '0 3 * * *', null],
    ['0 9 * * MON-FRI', 'cron', '0 9 * * MON-FRI', null],
    ['0 0 1,15 * *', 'cron', '0 0 1,15 * *', null],
    ['0 0 29 2 *', 'cron', '0 0 29 2 *', null],
    ['@daily', 'cron', '@daily', null],
    ['@hourly', 'cron', '@hourly', null],
    ['@weekly', 'cron', '@weekly', null],
    ['@monthly', 'cron', '@monthly', null],
    ['@yearly', 'cron', '@yearly', null],
    ['@annually', 'cron', '@annually', null],
    ['@midnight', 'cron', '@midnight', null],
    ['  @DAILY ', 'cron', '@DAILY', null],
    ['every 1m', 'every', 'every 1m', 60_000],
    ['every 15m', 'every', 'every 15m', 15 * 60_000],
    ['every 60s', 'every', 'every 60s', 60_000],
    ['every 6h', 'every', 'every 6h', 6 * 3_600_000],
    ['every 2d', 'every', 'every 2d', 2 * 86_400_000],
    ['every 366d', 'every', 'every 366d', 366 * 86_400_000],
    ['EVERY 15M', 'every', 'every 15m', 15 * 60_000],
    ['  every   15 m ', 'every', 'every 15 m', 15 * 60_000],
  ])('%j', (input, kind, expression, ms) => {
    const schedule = parseSchedule(input);
    expect(schedule.kind).toBe(kind);
    expect(schedule.expression).toBe(expression);
    if (schedule.kind === 'every') expect(schedule.ms).toBe(ms);
  });

  test('a stored expression parses again to the same schedule', () => {
    for (const input of ['  0   3 *  * *  ', 'EVERY 15M', '  @DAILY ', 'every 60s']) {
      const once = parseSchedule(input);
      expect(parseSchedule(once.expression).expression).toBe(once.expression);
    }
  });
});

describe('parseSchedule refuses, saying why', () => {
  test.each([
    ['', 'The schedule cannot be blank.'],
    ['   \t\n ', 'The schedule cannot be blank.'],
    ['0 3 * *', FIVE_FIELDS],
    ['0 0 3 * * *', FIVE_FIELDS],
    ['0 0 1 1 * 2030', FIVE_FIELDS],
    ['hello', FIVE_FIELDS],
    ['@reboot', FIVE_FIELDS],
    ['@every 1h', FIVE_FIELDS],
    ['every 30s', 'An interval must be at least 1 minute.'],
    ['every 59s', 'An interval must be at least 1 minute.'],
    ['every 0m', 'An interval must be at least 1 minute.'],
    ['every 400d', 'An interval can be at most 366 days.'],
    ['every 367d', 'An interval can be at most 366 days.'],
    ['every 8785h', 'An interval can be at most 366 days.'],
    ['every 15 minutes', EVERY_FORM],
    ['every 15', EVERY_FORM],
    ['every m', EVERY_FORM],
    ['every -5m', EVERY_FORM],
    ['every 1.5h', EVERY_FORM],
    ['every 1234567m', EVERY_FORM],
    ['every', EVERY_FORM],
    ['0 0 31 2 *', 'This cron expression never fires.'],
    ['0 0 31 4 *', 'This cron expression never fires.'],
    [`0 3 * * * ${'x'.repeat(120)}`, 'The schedule is too long.'],
    ['1 '.repeat(61), 'The schedule is too long.'],
  ])('%j', (input, message) => {
    expect(outcome(input)).toBe(message);
  });

  test.each([
    ['60 * * * *', /^Not a valid cron expression: .*minute.*60/],
    ['* 24 * * *', /^Not a valid cron expression: .*hour.*24/],
    ['0 0 * * 8', /^Not a valid cron expression: .*dayOfWeek.*8/],
    ['a b c d e', /^Not a valid cron expression: .*illegal characters/],
    ['*/0 * * * *', /^Not a valid cron expression: .*stepping/],
    ['5-1 * * * *', /^Not a valid cron expression: /],
    ["';-- DROP * * *", /^Not a valid cron expression: /],
  ])("%j: not a valid cron expression, with croner's reason", (input, message) => {
    const said = outcome(input);
    expect(said).toMatch(message);
    expect(said).not.toContain('CronPattern:');
  });

  test('120 characters are allowed, 121 are not', () => {
    const exactly = `10 0 * * ${'1,'.repeat(55)}1`;
    expect(exactly).toHaveLength(120);
    expect(outcome(exactly)).toMatchObject({ kind: 'cron' });
    expect(outcome(`${exactly},`)).toBe('The schedule is too long.');
  });
});

describe('nextRunAt', () => {
  const at = (iso: string): Date => new Date(iso);

  test.each([
    ['0 3 * * *', '2026-01-01T05:00:00.000Z', '2026-01-02T03:00:00.000Z'],
    ['0 3 * * *', '2026-01-01T02:59:59.000Z', '2026-01-01T03:00:00.000Z'],
    // The time itself is not "next": a job that ran at 03:00 must not be due again at 03:00.
    ['0 3 * * *', '2026-01-01T03:00:00.000Z', '2026-01-02T03:00:00.000Z'],
    ['*/15 * * * *', '2026-01-01T03:14:59.500Z', '2026-01-01T03:15:00.000Z'],
    ['@daily', '2026-03-28T23:30:00.000Z', '2026-03-29T00:00:00.000Z'],
    ['@hourly', '2026-01-01T05:00:00.001Z', '2026-01-01T06:00:00.000Z'],
    ['0 9 * * MON', '2026-01-01T00:00:00.000Z', '2026-01-05T09:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
  ])('cron %j from %s → %s (UTC, last run ignored)', (expression, now, next) => {
    const schedule = parseSchedule(expression);
    expect(nextRunAt(schedule, at(now), null)?.toISOString()).toBe(next);
    expect(nextRunAt(schedule, at(now), at('2020-01-01T00:00:00Z'))?.toISOString()).toBe(next);
  });

  test('cron is read in UTC whatever the process time zone', () => {
    const before = process.env['TZ'];
    process.env['TZ'] = 'America/Los_Angeles';
    try {
      const schedule = parseSchedule('0 3 * * *');
      expect(nextRunAt(schedule, at('2026-01-01T05:00:00Z'), null)?.toISOString()).toBe(
        '2026-01-02T03:00:00.000Z',
      );
    } finally {
      if (before === undefined) delete process.env['TZ'];
      else process.env['TZ'] = before;
    }
  });

  test('every: no last run → now', () => {
    const now = at('2026-01-01T05:00:00Z');
    expect(nextRunAt(parseSchedule('every 15m'), now, null)?.toISOString()).toBe(now.toISOString());
  });

  test('every: from the last run → last run + interval', () => {
    expect(
      nextRunAt(
        parseSchedule('every 15m'),
        at('2026-01-01T05:05:00Z'),
        at('2026-01-01T05:00:00Z'),
      )?.toISOString(),
    ).toBe('2026-01-01T05:15:00.000Z');
    expect(
      nextRunAt(
        parseSchedule('every 2d'),
        at('2026-01-01T05:00:00Z'),
        at('2026-01-01T05:00:00Z'),
      )?.toISOString(),
    ).toBe('2026-01-03T05:00:00.000Z');
  });

  test('every: overdue (after downtime) → now, not a backlog of past times', () => {
    const now = at('2026-01-03T00:00:00Z');
    expect(nextRunAt(parseSchedule('every 1h'), now, at('2026-01-01T00:00:00Z'))?.toISOString()).toBe(
      now.toISOString(),
    );
  });

  test('property: the next run is never before now', () => {
    const schedules = ['every 1m', 'every 6h', 'every 366d', '0 3 * * *', '*/15 * * * *', '@monthly'].map(
      parseSchedule,
    );
    const instant = fc.date({
      min: new Date('2000-01-01Z'),
      max: new Date('2090-01-01Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(fc.constantFrom(...schedules), instant, fc.option(instant), (schedule, now, last) => {
        const next = nextRunAt(schedule, now, last);
        expect(next).not.toBeNull();
        expect(next!.getTime()).toBeGreaterThanOrEqual(now.getTime());
        if (schedule.kind === 'cron') expect(next!.getTime()).toBeGreaterThan(now.getTime());
      }),
    );
  });
});

describe('property: parseSchedule fails only with ScheduleError', () => {
  /** Throws whatever parseSchedule threw unless it is a ScheduleError with a message. */
  function parsesOrRefuses(text: string): void {
    try {
      parseSchedule(text);
    } catch (err) {
      expect(err).toBeInstanceOf(ScheduleError);
      expect((err as ScheduleError).message).not.toBe('');
    }
  }

  test('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), parsesOrRefuses), {
      numRuns: 2000,
    });
  });

  test('cron-shaped strings (five fields of cron characters)', () => {
    const token = fc.string({
      unit: fc.constantFrom(...'0123456789*/,-?LW#'.split(''), 'MON', 'JAN', '60', '99'),
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.array(token, { minLength: 5, maxLength: 5 }), (fields) =>
        parsesOrRefuses(fields.join(' ')),
      ),
      { numRuns: 3000 },
    );
  });

  test('every-shaped strings', () => {
    const text = fc
      .tuple(
        fc.constantFrom('every', 'EVERY', 'Every', 'every\t'),
        fc.constantFrom(' ', '  ', ''),
        fc.oneof(fc.nat({ max: 10_000_000 }).map(String), fc.string({ maxLength: 4 })),
        fc.constantFrom('', ' '),
        fc.constantFrom('s', 'm', 'h', 'd', 'M', 'w', 'min', ''),
      )
      .map((parts) => parts.join(''));
    fc.assert(fc.property(text, parsesOrRefuses), { numRuns: 2000 });
  });
});
