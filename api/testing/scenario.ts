import { afterAll, beforeAll, expect, test } from 'vitest';
import type { EventName } from '../core/events';
import type { Hearth } from '../main';
import { fixtureTemplate, type TestHearth } from './hearth';

/**
 * PocketBase-style API scenarios (see pocketbase/pocketbase tests.ApiScenario): each row is a request
 * and what must come back, run in-process on a fresh copy of a fixture database.
 */
export interface Scenario {
  name: string;
  method: string;
  url: string;
  /** An object is sent as JSON; a string or Uint8Array as is. */
  body?: unknown;
  headers?:
    Record<string, string> | ((hearth: Hearth) => Promise<Record<string, string>> | Record<string, string>);
  /** Runs before the request, on this scenario's own instance. */
  before?: (hearth: Hearth) => Promise<void> | void;
  expectedStatus: number;
  /** Fragments the raw response body must contain, e.g. `"status":400`. */
  expectedContent?: string[];
  /** Fragments it must not contain, e.g. a password hash or a stack trace. */
  notExpectedContent?: string[];
  /**
   * Events published by the request: name → count; `"*": 0` means no other event fired. Left out,
   * it means no event at all: a scenario that writes must say which events it expects.
   */
  expectedEvents?: Partial<Record<EventName | '*', number>>;
  /** Further checks on the instance after the request (rows written, files...). */
  after?: (hearth: Hearth, response: Response, body: string) => Promise<void> | void;
}

/** Sends one scenario's request to an in-process instance and checks the answer. */
export async function runScenario(hearth: Hearth, s: Scenario): Promise<void> {
  await s.before?.(hearth);
  const events = new Map<string, number>();
  const unsubscribe = hearth.bus.subscribeAll((name) => void events.set(name, (events.get(name) ?? 0) + 1));
  try {
    const headers = new Headers(typeof s.headers === 'function' ? await s.headers(hearth) : s.headers);
    let body: BodyInit | undefined;
    if (typeof s.body === 'string' || s.body instanceof Uint8Array) {
      body = s.body as BodyInit;
    } else if (s.body !== undefined) {
      body = JSON.stringify(s.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const res = await hearth.api.request(s.url, { method: s.method, headers, body });
    const text = await res.text();
    await hearth.bus.flush();

    expect(res.status, `${s.name}: status (body ${text})`).toBe(s.expectedStatus);
    for (const fragment of s.expectedContent ?? [])
      expect(text, `${s.name}: body has ${fragment}`).toContain(fragment);
    for (const fragment of s.notExpectedContent ?? []) {
      expect(text, `${s.name}: body lacks ${fragment}`).not.toContain(fragment);
    }
    {
      const { '*': others, ...named } = s.expectedEvents ?? { '*': 0 };
      for (const [name, count] of Object.entries(named)) {
        expect(events.get(name) ?? 0, `${s.name}: ${name} events`).toBe(count);
      }
      if (others === 0) {
        const extra = [...events.keys()].filter((n) => !(n in named));
        expect(extra, `${s.name}: unexpected events`).toEqual([]);
      }
    }
    await s.after?.(hearth, res, text);
  } finally {
    unsubscribe();
  }
}

/**
 * Registers one Vitest test per scenario. `fixture` prepares the database once; every scenario gets
 * its own copy.
 */
export function testScenarios(
  scenarios: Scenario[],
  fixture: (hearth: Hearth) => Promise<void> | void = () => {},
): void {
  let template: Awaited<ReturnType<typeof fixtureTemplate>>;
  beforeAll(async () => {
    template = await fixtureTemplate(fixture);
  });
  afterAll(() => template?.dispose());
  for (const s of scenarios) {
    test(s.name, async () => {
      const hearth: TestHearth = template.fresh();
      try {
        await runScenario(hearth, s);
      } finally {
        await hearth.cleanup();
      }
    });
  }
}
