import { describe, expect, test } from 'vitest';
import { parseSettingText, validateSetting } from '../core/settings';
import { routeCollection, routeTags, tagMethods } from './ratelimit.actions';
import { RuleSet, rateLimitRulesSchema, type RateLimitRule } from './ratelimit.rules';
import { DEFAULT_RATE_LIMIT_RULES, rateLimitSettings } from './settings.defs';

const rule = (label: string, extra: Partial<RateLimitRule> = {}): RateLimitRule => ({
  label,
  audience: '',
  duration: 10,
  maxRequests: 5,
  ...extra,
});

/** The label of the rules `find` picks, or null. */
function picked(rules: RateLimitRule[], labels: string[], authed = false): string | null {
  const found = new RuleSet(rules).find(labels, authed);
  return found.length === 0 ? null : `${found[0]!.label}${found[0]!.audience}`;
}

/** PocketBase's labels for a request, as the middleware builds them. */
function labelsOf(method: string, path: string, collectionName = 'users'): string[] {
  const tags = routeTags(method, path) ?? [];
  return [
    ...tags.map((t) => `${collectionName}:${t}`),
    ...tags.map((t) => `*:${t}`),
    `${method} ${path}`,
    path,
  ];
}

describe('rule validation (PocketBase RateLimitRule.Validate, checkUniqueRuleLabel)', () => {
  const message = (value: unknown): string | null => {
    try {
      validateSetting(rateLimitSettings, 'rateLimits.rules', value);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };

  test.each([
    ['tag', 'users:auth'],
    ['wildcard tag', '*:create'],
    ['plain tag', 'test_a'],
    ['root', '/'],
    ['prefix', '/api/'],
    ['path', '/api/collections/posts/records'],
    ['method and prefix', 'POST /api/collections/'],
    ['dash', '/api/hearth/siwe-nonce'],
  ])('accepts a %s label: %s', (_, label) => {
    expect(message([rule(label)])).toBeNull();
  });

  test.each([
    ['', 'rules.0.label: cannot be blank'],
    ['users auth', 'rules.0.label: "users auth" must be a tag'],
    ['*:', 'must be a tag'],
    ['users:*', 'must be a tag'],
    ['api/', 'must be a tag'],
    ['/api/*', 'must be a tag'],
    ['/api/?x=1', 'must be a tag'],
    ['POST  /api/', 'must be a tag'],
  ])('refuses the label %j', (label, expected) => {
    expect(message([rule(label)])).toContain(expected);
  });

  test.each([
    [{ maxRequests: 0 }, 'rules.0.maxRequests: must be a whole number, at least 1'],
    [{ maxRequests: 1.5 }, 'rules.0.maxRequests'],
    [{ maxRequests: '5' }, 'rules.0.maxRequests'],
    [{ duration: 0 }, 'rules.0.duration: must be a whole number of seconds, at least 1'],
    [{ duration: -3 }, 'rules.0.duration'],
    [{ audience: '@admin' }, 'rules.0.audience: must be "", "@guest" or "@auth"'],
    [{ audience: 5 }, 'rules.0.audience'],
  ])('refuses %j', (extra, expected) => {
    expect(message([rule('*:auth', extra as Partial<RateLimitRule>)])).toContain(expected);
  });

  test('names the rule at fault', () => {
    expect(message([rule('/api/'), rule('*:auth', { duration: 0 })])).toContain('rules.1.duration');
    expect(message([rule('/api/'), 'x'])).toContain('rules.1: must be an object');
    expect(message({ label: '/api/' })).not.toBeNull();
  });

  test('the same label and audience twice conflicts, as in PocketBase', () => {
    expect(message([rule('*:auth'), rule('/api/'), rule('*:auth')])).toContain(
      'rules.2.label: a rule with label *:auth and the same duration already exists or conflicts with rules.0',
    );
    // A rule for everyone and one for an audience of the same label: PocketBase's prefix check.
    expect(message([rule('/api/'), rule('/api/', { audience: '@guest' })])).toContain('rules.1.label');
    expect(message([rule('/api/', { audience: '@guest' }), rule('/api/', { audience: '@auth' })])).toBeNull();
    expect(message([rule('users:auth'), rule('*:auth'), rule('users:create')])).toBeNull();
  });

  test('Hearth: the same label with another duration is a second window', () => {
    expect(message([rule('*:auth', { duration: 10 }), rule('*:auth', { duration: 3600 })])).toBeNull();
  });

  test('a missing audience means everyone; unknown keys are dropped', () => {
    const parsed = rateLimitRulesSchema.parse([{ label: '/api/', duration: 1, maxRequests: 2, note: 'x' }]);
    expect(parsed).toEqual([{ label: '/api/', audience: '', duration: 1, maxRequests: 2 }]);
  });

  test('`hearth config set rateLimits.rules` takes the list as JSON', () => {
    const text =
      '[{"label":"*:auth","duration":10,"maxRequests":5},{"label":"/api/","duration":10,"maxRequests":300}]';
    expect(parseSettingText(rateLimitSettings, 'rateLimits.rules', text)).toEqual([
      rule('*:auth'),
      rule('/api/', { maxRequests: 300 }),
    ]);
    expect(parseSettingText(rateLimitSettings, 'rateLimits.enabled', 'false')).toBe(false);
    expect(() => parseSettingText(rateLimitSettings, 'rateLimits.rules', '[{"label":"/api/"}]')).toThrow(
      'Invalid value for rateLimits.rules: rules.0.maxRequests: must be a whole number, at least 1',
    );
  });

  test('the defaults pass their own checks', () => {
    expect(message(DEFAULT_RATE_LIMIT_RULES)).toBeNull();
  });
});

describe('rule matching (PocketBase FindRateLimitRule)', () => {
  test.each<[string, RateLimitRule[], string[], string | null]>([
    ['no rules', [], labelsOf('GET', '/api/collections/posts/records'), null],
    [
      'the collection tag before the wildcard',
      [rule('*:auth'), rule('users:auth')],
      labelsOf('POST', '/api/collections/users/auth-with-password'),
      'users:auth',
    ],
    [
      "the route's own tag before the shared one",
      [rule('*:auth'), rule('*:authWithPassword')],
      labelsOf('POST', '/api/collections/users/auth-with-password'),
      '*:authWithPassword',
    ],
    [
      'a tag before any path',
      [rule('/api/'), rule('POST /api/collections/users/auth-with-password'), rule('*:auth')],
      labelsOf('POST', '/api/collections/users/auth-with-password'),
      '*:auth',
    ],
    [
      'method and path before the path',
      [rule('/api/collections/posts/records'), rule('POST /api/collections/posts/records')],
      labelsOf('POST', '/api/collections/posts/records', 'posts'),
      'POST /api/collections/posts/records',
    ],
    [
      'an exact path before a prefix',
      [rule('/api/'), rule('/api/settings')],
      labelsOf('PATCH', '/api/settings'),
      '/api/settings',
    ],
    [
      'a method prefix before a bare exact path',
      [rule('/api/settings'), rule('PATCH /api/')],
      labelsOf('PATCH', '/api/settings'),
      'PATCH /api/',
    ],
    [
      'prefixes in settings order, not by length',
      [rule('/api/'), rule('/api/collections/')],
      labelsOf('GET', '/api/collections/posts/records', 'posts'),
      '/api/',
    ],
    [
      'a prefix matches its own path without the slash',
      [rule('/api/batch/')],
      labelsOf('POST', '/api/batch'),
      '/api/batch/',
    ],
    ['a prefix needs a whole segment', [rule('/api/bat/')], labelsOf('POST', '/api/batch'), null],
    ['a method is exact', [rule('post /api/')], labelsOf('POST', '/api/batch'), null],
    ['another collection', [rule('posts:create')], labelsOf('POST', '/api/collections/users/records'), null],
    ['another method', [rule('*:create')], labelsOf('PATCH', '/api/collections/users/records/abc'), null],
  ])('%s', (_, rules, labels, expected) => {
    expect(picked(rules, labels)).toBe(expected);
  });

  test('audiences: a guest gets @guest and everyone rules, a signed-in record @auth and everyone', () => {
    const rules = [rule('/api/', { audience: '@auth' }), rule('/api/', { audience: '@guest', duration: 5 })];
    expect(picked(rules, ['/api/x'], false)).toBe('/api/@guest');
    expect(picked(rules, ['/api/x'], true)).toBe('/api/@auth');
    expect(picked([rule('*:auth', { audience: '@auth' })], ['*:auth'], false)).toBeNull();
    expect(picked([rule('*:auth', { audience: '@auth' }), rule('/api/')], ['*:auth', '/api/x'], false)).toBe(
      '/api/',
    );
  });

  test('every rule of the picked label applies (short and long window), only that label', () => {
    const set = new RuleSet([
      rule('*:auth', { duration: 10 }),
      rule('users:auth', { duration: 60 }),
      rule('*:auth', { duration: 3600, maxRequests: 20 }),
      rule('*:auth', { duration: 600, audience: '@guest' }),
    ]);
    expect(set.find(['posts:auth', '*:auth'], false).map((r) => r.duration)).toEqual([10, 3600, 600]);
    expect(set.find(['posts:auth', '*:auth'], true).map((r) => r.duration)).toEqual([10, 3600]);
    expect(set.find(['users:auth', '*:auth'], false).map((r) => r.duration)).toEqual([60]);
  });

  test('what the middleware checks before looking any closer', () => {
    const defaults = new RuleSet(DEFAULT_RATE_LIMIT_RULES);
    // The SIWE nonce rule: every request's path is looked up (one Map lookup).
    expect(defaults.hasPathRules).toBe(true);
    expect(defaults.find(['GET /api/hearth/siwe/nonce', '/api/hearth/siwe/nonce'], false)).toEqual([
      expect.objectContaining({ label: '/api/hearth/siwe/nonce', duration: 60, maxRequests: 30 }),
    ]);
    expect(defaults.find(['HEAD /api/hearth/siwe/nonce', '/api/hearth/siwe/nonce'], true)).toHaveLength(1);
    expect(defaults.find(['GET /api/hearth/siwe/nonces', '/api/hearth/siwe/nonces'])).toEqual([]);
    expect(defaults.find(['GET /api/collections/posts/records', '/api/collections/posts/records'])).toEqual(
      [],
    );
    expect(defaults.hasAction(['authWithPassword', 'auth'])).toBe(true);
    expect(defaults.hasAction(['requestOTP'])).toBe(true);
    expect(defaults.hasAction(['list'])).toBe(false);
    expect(defaults.hasAction(['create'])).toBe(false);
    expect(new RuleSet([rule('POST /api/batch')]).hasPathRules).toBe(true);
    expect(new RuleSet([rule('test_a')]).hasPathRules).toBe(false);
  });

  test('the methods a tagged route can have: the defaults limit POST requests only', () => {
    const methods = (rules: RateLimitRule[]) => [...tagMethods(new RuleSet(rules).actions)].sort();
    expect(methods(DEFAULT_RATE_LIMIT_RULES)).toEqual(['POST']);
    expect(methods([rule('*:list')])).toEqual(['GET', 'HEAD']);
    expect(methods([rule('users:view'), rule('*:file'), rule('*:listAuthMethods')])).toEqual(['GET', 'HEAD']);
    expect(methods([rule('*:update'), rule('posts:delete')])).toEqual(['DELETE', 'PATCH']);
    expect(methods([rule('test_a'), rule('*:nothing')])).toEqual([]);
  });
});

describe('route tags (PocketBase collectionPathRateLimit / checkCollectionRateLimit)', () => {
  test.each<[string, string, string | null, string[]]>([
    ['GET', '/api/collections/posts/records', 'posts', ['list']],
    ['HEAD', '/api/collections/posts/records', 'posts', ['list']],
    ['POST', '/api/collections/posts/records', 'posts', ['create']],
    ['GET', '/api/collections/posts/records/abc', 'posts', ['view']],
    ['PATCH', '/api/collections/posts/records/abc', 'posts', ['update']],
    ['DELETE', '/api/collections/posts/records/abc', 'posts', ['delete']],
    ['GET', '/api/collections/users/auth-methods', 'users', ['listAuthMethods']],
    ['POST', '/api/collections/users/auth-refresh', 'users', ['authRefresh']],
    ['POST', '/api/collections/users/auth-with-password', 'users', ['authWithPassword', 'auth']],
    ['POST', '/api/collections/users/auth-with-oauth2', 'users', ['authWithOAuth2', 'auth']],
    ['POST', '/api/collections/users/auth-with-otp', 'users', ['authWithOTP', 'auth']],
    ['POST', '/api/collections/users/auth-with-siwe', 'users', ['authWithSIWE', 'auth']],
    ['POST', '/api/collections/users/request-otp', 'users', ['requestOTP']],
    ['POST', '/api/collections/users/request-password-reset', 'users', ['requestPasswordReset']],
    ['POST', '/api/collections/users/confirm-password-reset', 'users', ['confirmPasswordReset']],
    ['POST', '/api/collections/users/request-verification', 'users', ['requestVerification']],
    ['POST', '/api/collections/users/confirm-verification', 'users', ['confirmVerification']],
    ['POST', '/api/collections/users/request-email-change', 'users', ['requestEmailChange']],
    ['POST', '/api/collections/users/confirm-email-change', 'users', ['confirmEmailChange']],
    ['GET', '/api/files/posts/abc/photo.png', 'posts', ['file']],
    ['GET', '/api/collections/users/auth-with-password', null, []],
    ['PUT', '/api/collections/posts/records', null, []],
    ['POST', '/api/collections/posts/records/abc', null, []],
    ['GET', '/api/collections/posts/records/', null, []],
    ['GET', '/api/collections/posts/records/abc/x', null, []],
    ['GET', '/api/collections/posts', null, []],
    ['GET', '/api/collections/posts/', null, []],
    ['GET', '/api/collections/posts/recordsx', null, []],
    ['GET', '/api/collections/users/records/abc/external-auths', null, []],
    ['GET', '/api/collections//records', null, []],
    ['POST', '/api/collections/users/impersonate/abc', null, []],
    ['POST', '/api/files/token', null, []],
    ['GET', '/api/files/posts/abc', null, []],
    ['GET', '/api/files/posts/abc/', null, []],
    ['GET', '/api/settings', null, []],
    ['POST', '/api/batch', null, []],
  ])('%s %s', (method, path, collection, tags) => {
    const found = routeTags(method, path);
    expect([...(found ?? [])]).toEqual(tags);
    expect(found ? routeCollection(path) : null).toBe(collection);
  });
});
