import { describe, expect, test } from 'vitest';
import { describeSettings } from '../../../../api/settings/index';
import { settingDefs } from '../../../../api/settings/registry';
import { resources } from '$lib/i18n/i18next';
import { fieldKind, groupSections, inferColumns, scalarKind, type SettingSchema } from './settings.schema';

/** What GET /api/hearth/settings/schema answers, from the server's own code. */
const served = describeSettings(settingDefs) as SettingSchema[];

const setting = (overrides: Partial<SettingSchema>): SettingSchema => ({
  key: 'x.y',
  section: 'x',
  name: 'y',
  default: null,
  secret: false,
  description: '',
  schema: {},
  ...overrides,
});

describe('the input for each of the server’s settings', () => {
  const kinds = Object.fromEntries(served.map((s) => [s.key, fieldKind(s, s.default).kind]));

  test.each([
    ['meta.appName', 'text'],
    ['meta.senderAddress', 'text'],
    ['smtp.port', 'number'],
    ['smtp.enabled', 'boolean'],
    ['smtp.authMethod', 'enum'],
    ['smtp.password', 'secret'],
    ['siwe.chainIds', 'list'],
    ['trustedProxy.headers', 'list'],
    ['rateLimits.rules', 'table'],
  ])('%s is edited as %s', (key, kind) => {
    expect(kinds[key]).toBe(kind);
  });

  test('no current setting falls back to JSON text', () => {
    expect(Object.entries(kinds).filter(([, k]) => k === 'json')).toEqual([]);
  });

  test('the rate limit rules table has a column per rule key', () => {
    const rules = served.find((s) => s.key === 'rateLimits.rules')!;
    const kind = fieldKind(rules, rules.default);
    expect(kind.kind === 'table' && kind.columns.map((c) => [c.name, c.type.kind])).toEqual([
      ['label', 'text'],
      ['audience', 'text'],
      ['duration', 'number'],
      ['maxRequests', 'number'],
    ]);
  });

  test('every setting label in the locales names a setting the server has', () => {
    const keys = new Set(served.map((s) => s.key));
    const tree = resources['en']!['console-system']!['settings'] as Record<string, Record<string, unknown>>;
    const named = Object.entries(tree).flatMap(([section, fields]) =>
      Object.keys(fields).map((name) => `${section}.${name}`),
    );
    expect(named.filter((k) => !keys.has(k))).toEqual([]);
  });
});

describe('scalarKind', () => {
  test.each([
    [
      { type: 'integer', minimum: 1, maximum: 9 },
      { kind: 'number', integer: true, min: 1, max: 9 },
    ],
    [
      { type: 'number', exclusiveMinimum: 0 },
      { kind: 'number', integer: false, min: 0, minExclusive: true },
    ],
    [
      { type: 'string', format: 'email', maxLength: 5 },
      { kind: 'text', inputType: 'email', maxLength: 5 },
    ],
    [
      { type: 'string', format: 'uri' },
      { kind: 'text', inputType: 'url' },
    ],
    [
      { type: 'string', enum: ['a', 'b'] },
      { kind: 'enum', options: ['a', 'b'] },
    ],
    [{ type: ['boolean', 'null'] }, { kind: 'boolean' }],
    [{ type: 'object' }, null],
    [{ enum: [{}] }, null],
  ])('%j → %j', (schema, kind) => {
    expect(scalarKind(schema)).toEqual(kind);
  });
});

describe('fieldKind falls back rather than change an untouched value', () => {
  test('an enum value this build does not list becomes text', () => {
    const s = setting({ schema: { type: 'string', enum: ['A'] }, default: 'A' });
    expect(fieldKind(s, 'B').kind).toBe('text');
  });

  test('a table row with a key the columns lack becomes JSON', () => {
    const s = setting({ schema: { type: 'array', items: {} }, default: [{ a: 'x' }] });
    expect(fieldKind(s, [{ a: 'x' }]).kind).toBe('table');
    expect(fieldKind(s, [{ a: 'x', b: { nested: true } }]).kind).toBe('json');
  });

  test('a list item with a line break becomes JSON', () => {
    const s = setting({ schema: { type: 'array', items: { type: 'string' } }, default: [] });
    expect(fieldKind(s, ['a\nb']).kind).toBe('json');
  });

  test('object item schemas with scalar properties become tables', () => {
    const s = setting({
      schema: {
        type: 'array',
        items: { type: 'object', properties: { on: { type: 'boolean' }, mode: { enum: ['x', 'y'] } } },
      },
      default: [],
    });
    const kind = fieldKind(s, [{ on: true, mode: 'y' }]);
    expect(kind.kind).toBe('table');
  });

  test('an object setting is JSON text expecting an object', () => {
    expect(fieldKind(setting({ schema: { type: 'object' } }), {})).toEqual({
      kind: 'json',
      expects: 'object',
    });
  });
});

describe('inferColumns', () => {
  test('mixed integers and fractions make a number column; mixed types make none', () => {
    expect(inferColumns([{ n: 1 }, { n: 1.5 }])).toEqual([
      { name: 'n', type: { kind: 'number', integer: false } },
    ]);
    expect(inferColumns([{ n: 1 }, { n: 'a' }])).toBeNull();
    expect(inferColumns([])).toBeNull();
    expect(inferColumns([1])).toBeNull();
  });
});

describe('groupSections', () => {
  test('known sections first in the console’s order, unknown ones after by name', () => {
    const list = ['zeta.a', 'batch.b', 'meta.a', 'alpha.a', 'smtp.x'].map((key) => {
      const [section, name] = key.split('.') as [string, string];
      return setting({ key, section, name });
    });
    expect(groupSections(list).map((g) => g.section)).toEqual(['meta', 'smtp', 'batch', 'alpha', 'zeta']);
  });

  test('within a section, known settings in the console’s order, then the rest by key', () => {
    const smtp = groupSections(served).find((g) => g.section === 'smtp')!;
    expect(smtp.settings.map((s) => s.name)).toEqual([
      'enabled',
      'host',
      'port',
      'username',
      'password',
      'authMethod',
      'tls',
      'localName',
    ]);
    const list = ['meta.zz', 'meta.appURL', 'meta.aa', 'meta.appName'].map((key) =>
      setting({ key, section: 'meta', name: key.slice(5) }),
    );
    expect(groupSections(list)[0]!.settings.map((s) => s.name)).toEqual(['appName', 'appURL', 'aa', 'zz']);
  });
});
