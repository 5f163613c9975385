import type { LogModel } from 'pocketbase';
import { parseLogDate } from './logs.stats';

/**
 * What the logs table shows of an entry. PocketBase's request entries carry their details in
 * `data` (apis/middlewares.go logRequest); other entries have only a message, so every field is read
 * defensively.
 */
export interface RequestView {
  method: string;
  url: string;
  status: number | null;
  execTime: number | null;
  /** Auth collection name, '' for a guest. */
  auth: string;
  authId: string;
  ip: string;
  remoteIp: string;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function readRequest(entry: Pick<LogModel, 'data'>): RequestView {
  const d = (entry.data ?? {}) as Record<string, unknown>;
  return {
    method: text(d['method']),
    url: text(d['url']),
    status: num(d['status']),
    execTime: num(d['execTime']),
    auth: text(d['auth']),
    authId: text(d['authId']),
    // PocketBase writes userIP/remoteIP; the lower-case spelling is accepted too.
    ip: text(d['userIP']) || text(d['userIp']),
    remoteIp: text(d['remoteIP']) || text(d['remoteIp']),
  };
}

export type StatusClass = 'success' | 'redirect' | 'clientError' | 'serverError' | 'unknown';

export function statusClass(status: number | null): StatusClass {
  if (status === null || status < 100 || status > 599) return 'unknown';
  if (status >= 500) return 'serverError';
  if (status >= 400) return 'clientError';
  if (status >= 300) return 'redirect';
  return 'success';
}

/** `12.3 ms` in the viewer's language; '' when there is no duration. */
export function formatDuration(ms: number | null, lang: string): string {
  if (ms === null) return '';
  return new Intl.NumberFormat(lang, {
    style: 'unit',
    unit: 'millisecond',
    unitDisplay: 'short',
    maximumFractionDigits: ms < 10 ? 1 : 0,
  }).format(ms);
}

/** A log time in the viewer's local time (or `timeZone`); the text itself when it is no date. */
export function formatLogTime(created: string, lang: string, timeZone?: string): string {
  const t = parseLogDate(created);
  if (!Number.isFinite(t)) return created;
  return new Intl.DateTimeFormat(lang, {
    dateStyle: 'short',
    timeStyle: 'medium',
    ...(timeZone ? { timeZone } : {}),
  }).format(t);
}

/** The start of an hour for the chart: `22.11., 08:00`, local time (or `timeZone`). */
export function formatHour(start: number, lang: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(lang, {
    day: 'numeric',
    month: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(start);
}

/** ISO 8601 for a <time datetime>, or undefined when the text is no date. */
export function isoTime(created: string): string | undefined {
  const t = parseLogDate(created);
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}
