import { describe, expect, test } from 'vitest';
import { formatDuration, formatHour, formatLogTime, isoTime, readRequest, statusClass } from './logs.format';

describe('readRequest', () => {
  test('reads PocketBase’s request entry', () => {
    const view = readRequest({
      data: {
        type: 'request',
        method: 'GET',
        url: '/api/health',
        status: 200,
        execTime: 1.25,
        auth: '_superusers',
        authId: 'abc',
        userIP: '203.0.113.5',
        remoteIP: '127.0.0.1',
      },
    });
    expect(view).toEqual({
      method: 'GET',
      url: '/api/health',
      status: 200,
      execTime: 1.25,
      auth: '_superusers',
      authId: 'abc',
      ip: '203.0.113.5',
      remoteIp: '127.0.0.1',
    });
  });

  test('an entry that is no request reads as empty fields', () => {
    expect(readRequest({ data: { status: '200', execTime: 'slow' } })).toEqual({
      method: '',
      url: '',
      status: null,
      execTime: null,
      auth: '',
      authId: '',
      ip: '',
      remoteIp: '',
    });
  });
});

test.each([
  [200, 'success'],
  [304, 'redirect'],
  [404, 'clientError'],
  [503, 'serverError'],
  [null, 'unknown'],
  [42, 'unknown'],
] as const)('statusClass(%j) = %s', (status, cls) => {
  expect(statusClass(status)).toBe(cls);
});

describe('formatting', () => {
  test('durations', () => {
    expect(formatDuration(1.25, 'en')).toBe('1.3 ms');
    expect(formatDuration(1234.5, 'en')).toBe('1,235 ms');
    expect(formatDuration(null, 'en')).toBe('');
  });

  test('times in the given zone, PocketBase’s datetime or ISO', () => {
    expect(formatLogTime('2026-11-22 08:05:09.123Z', 'en-GB', 'Europe/Berlin')).toBe('22/11/2026, 09:05:09');
    expect(formatLogTime('not a date', 'en')).toBe('not a date');
    expect(formatHour(Date.parse('2026-11-22T08:00:00Z'), 'de', 'UTC')).toBe('22.11., 08:00');
    expect(isoTime('2026-11-22 08:05:09.123Z')).toBe('2026-11-22T08:05:09.123Z');
    expect(isoTime('x')).toBeUndefined();
  });
});
