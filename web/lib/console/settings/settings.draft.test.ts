import { describe, expect, test } from 'vitest';
import { translator } from '$lib/i18n/i18next';
import {
  isChanged,
  nestValues,
  parseDraft,
  problemText,
  readFieldErrors,
  readValues,
  sameValue,
  toDraft,
} from './settings.draft';
import type { FieldKind, SettingSchema } from './settings.schema';

const port: FieldKind = { kind: 'number', integer: true, min: 1, max: 65535 };
const name: FieldKind = { kind: 'text', inputType: 'text', minLength: 1, maxLength: 6 };
const chains: FieldKind = { kind: 'list', item: { kind: 'number', integer: true, min: 1 }, minItems: 1 };
const rules: FieldKind = {
  kind: 'table',
  columns: [
    { name: 'label', type: { kind: 'text', inputType: 'text' } },
    { name: 'duration', type: { kind: 'number', integer: true } },
    { name: 'on', type: { kind: 'boolean' } },
  ],
};
const method: FieldKind = { kind: 'enum', options: ['PLAIN', 'LOGIN'] };

describe('a value survives the trip through its input unchanged', () => {
  test.each<[FieldKind, unknown]>([
    [port, 587],
    [name, 'Hearth'],
    [chains, [1, 10]],
    [{ kind: 'list', item: { kind: 'text', inputType: 'text' } }, ['X-Real-IP', 'X-Forwarded-For']],
    [rules, [{ label: '*:auth', duration: 10, on: true }]],
    [method, 'LOGIN'],
    [{ kind: 'boolean' }, false],
    [{ kind: 'json', expects: 'any' }, { a: [1, { b: null }] }],
  ])('%j: %j', (kind, value) => {
    const parsed = parseDraft(kind, toDraft(kind, value));
    expect(parsed).toEqual({ ok: true, value });
    expect(isChanged(kind, value, toDraft(kind, value))).toBe(false);
  });
});

describe('parseDraft names the problem', () => {
  test.each<[FieldKind, Parameters<typeof parseDraft>[1], unknown]>([
    [port, '', { code: 'required' }],
    [port, '1.5', { code: 'integer' }],
    [port, 'abc', { code: 'number' }],
    [port, '0', { code: 'min', params: { min: 1 } }],
    [port, '70000', { code: 'max', params: { max: 65535 } }],
    [
      { kind: 'number', integer: false, min: 0, minExclusive: true },
      '0',
      { code: 'min', params: { min: 0 } },
    ],
    [name, '  ', { code: 'required' }],
    [name, 'toolong', { code: 'maxLength', params: { max: 6 } }],
    [chains, '', { code: 'minItems', params: { min: 1 } }],
    [chains, '1\n\nx', { code: 'number', row: 2 }],
    [rules, [{ label: 'a', duration: '', on: false }], { code: 'required', row: 1, column: 'duration' }],
    [{ kind: 'json', expects: 'array' }, '{}', { code: 'jsonArray' }],
    [{ kind: 'json', expects: 'object' }, '[]', { code: 'jsonObject' }],
    [{ kind: 'secret', maxLength: 2 }, 'abc', { code: 'maxLength', params: { max: 2 } }],
  ])('%j with %j', (kind, draft, problem) => {
    expect(parseDraft(kind, draft)).toEqual({ ok: false, problem });
  });

  test('broken JSON carries the parser’s message', () => {
    const parsed = parseDraft({ kind: 'json', expects: 'any' }, '{');
    expect(parsed.ok === false && parsed.problem.code).toBe('json');
  });

  test('list lines are trimmed and blank lines skipped', () => {
    expect(parseDraft(chains, ' 1 \n\n 137\n')).toEqual({ ok: true, value: [1, 137] });
  });
});

describe('isChanged', () => {
  test('an empty secret keeps the stored one; a typed one is a change', () => {
    expect(isChanged({ kind: 'secret' }, '', '')).toBe(false);
    expect(isChanged({ kind: 'secret' }, '', 'pw')).toBe(true);
  });

  test('a draft that is no value counts as a change', () => {
    expect(isChanged(port, 587, 'x')).toBe(true);
  });

  test('reordering object keys is not a change', () => {
    expect(sameValue({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue({ a: undefined }, {})).toBe(false);
  });
});

const schema = (key: string, extra: Partial<SettingSchema> = {}): SettingSchema => {
  const [section, name] = key.split('.') as [string, string];
  return { key, section, name, default: 'd', secret: false, description: '', schema: {}, ...extra };
};

describe('values to and from the settings API', () => {
  const settings = [schema('meta.appName'), schema('smtp.port'), schema('smtp.password', { secret: true })];

  test('GET’s nested answer is read by key; a secret and a missing value read as "" and the default', () => {
    const values = readValues(settings, { meta: { appName: 'Home' }, smtp: {} });
    expect([...values]).toEqual([
      ['meta.appName', 'Home'],
      ['smtp.port', 'd'],
      ['smtp.password', ''],
    ]);
  });

  test('a PATCH body nests the changed values by section', () => {
    const body = nestValues(
      new Map<string, unknown>([
        ['smtp.port', 465],
        ['meta.appName', 'Home'],
        ['nope.x', 1],
      ]),
      settings,
    );
    expect(body).toEqual({ smtp: { port: 465 }, meta: { appName: 'Home' } });
  });

  test('field errors of a 400 are read by key, a section’s own error by section', () => {
    const errors = readFieldErrors({
      smtp: { port: { code: 'validation_invalid_value', message: 'Too big.' } },
      bogus: { code: 'validation_invalid_value', message: 'Must be an object.' },
      meta: { nonsense: 1 },
    });
    expect([...errors]).toEqual([
      ['smtp.port', { code: 'validation_invalid_value', message: 'Too big.' }],
      ['bogus', { code: 'validation_invalid_value', message: 'Must be an object.' }],
    ]);
    expect(readFieldErrors(null).size).toBe(0);
  });
});

describe('problemText', () => {
  test.each([
    ['en', { code: 'min', params: { min: 3 } }, 'Must be at least 3.'],
    ['en', { code: 'number', row: 2 }, 'Line 2: Enter a number.'],
    ['de', { code: 'required', row: 1, column: 'duration' }, 'Zeile 1, duration: Darf nicht leer sein.'],
  ] as const)('%s %j', (lang, problem, text) => {
    expect(problemText(problem, translator(lang))).toBe(text);
  });

  test('a column label replaces the column name', () => {
    const problem = { code: 'required', row: 3, column: 'duration' } as const;
    expect(problemText(problem, translator('en'), (c) => c.toUpperCase())).toBe(
      'Row 3, DURATION: Cannot be empty.',
    );
  });
});
