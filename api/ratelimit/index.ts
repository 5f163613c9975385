import { authenticateToken } from '../auth/record-tokens';
import { clientIp } from '../core/client-ip';
import { ApiError } from '../core/errors';
import { requestHeader, SUPERUSERS, type ApiApp, type ApiContext } from '../core/http';
import type { Deps } from '../main';
import { routeCollection, routeTags, tagMethods } from './ratelimit.actions';
import { RuleSet, type RateLimitRule } from './ratelimit.rules';
import { clientKey, WindowStore } from './ratelimit.windows';

/**
 * PocketBase's rate limits (apis/middlewares_rate_limit.go) as one middleware in front of every
 * route, with the rules of the `rateLimits` settings. A request gets PocketBase's labels — its
 * route's tags (`users:authWithPassword`, `users:auth`, `*:authWithPassword`, `*:auth`), then
 * `METHOD /path` and `/path` — and the first label a rule matches picks the rules that apply. Over
 * the limit: 429 `Too Many Requests.` with Retry-After. Superusers are never limited.
 *
 * It must run before the routes, so before the auth middleware has read the token: the token is
 * checked here too, and only for a request some rule matches (for superusers and audiences).
 *
 * The client is its IP address (an IPv6 client by its /64): the connection's, or behind a reverse
 * proxy the one a `trustedProxy.headers` header gives (api/core/client-ip.ts). Without that setting
 * every client behind a proxy shares the proxy's address.
 *
 * Sign-ins (routes tagged `auth`) that succeed are given back to their tag rules, so the limit
 * counts failed sign-ins: guessing is stopped, while a household behind one address, or a test
 * suite, may sign in as often as it likes. Everything else counts every request, as PocketBase.
 */
export function register(app: ApiApp, deps: Deps): void {
  const windows = new WindowStore();
  let seen: readonly RateLimitRule[] | undefined;
  let seenJson = '';
  let rules = new RuleSet([]);
  /** Methods a request needs for a tag rule to match it: any other one goes by at once. */
  let methods = new Set<string>();

  /** The rule set, compiled again (and every window dropped, as PocketBase) when the rules change. */
  const currentRules = (): RuleSet => {
    const list = deps.settings.get('rateLimits.rules');
    if (list !== seen) {
      // A reload of the settings (any setting, or another process's write) hands out new objects.
      const json = JSON.stringify(list);
      if (json !== seenJson) {
        rules = new RuleSet(list);
        methods = tagMethods(rules.actions);
        windows.clear();
        seenJson = json;
      }
      seen = list;
    }
    return rules;
  };

  app.use('*', async (c, next) => {
    if (!deps.settings.get('rateLimits.enabled')) return next();
    const ruleSet = currentRules();
    const method = c.req.method;
    // Without path rules a request whose method no tag rule names (a GET: a list, a file) costs two
    // settings reads and this; the default nonce rule makes every request look up its path once.
    if (!ruleSet.hasPathRules && !methods.has(method)) return next();

    // Labels in PocketBase's order (checkCollectionRateLimit); only those some rule could match.
    const path = c.req.path;
    const tags = routeTags(method, path);
    const labels: string[] = [];
    let scope = '';
    if (tags && ruleSet.hasAction(tags)) {
      const collection = deps.collections.find(routeCollection(path));
      if (collection) {
        scope = `${collection.id}|${tags[0]}`;
        for (const tag of tags) labels.push(`${collection.name}:${tag}`);
        for (const tag of tags) labels.push(`*:${tag}`);
      }
    }
    if (ruleSet.hasPathRules) labels.push(`${method} ${path}`, path);
    if (labels.length === 0 || ruleSet.find(labels).length === 0) return next();

    const address = clientIp(
      c,
      deps.settings.get('trustedProxy.headers'),
      deps.settings.get('trustedProxy.useLeftmostIP'),
    );
    if (!address) return next(); // in-process requests (app.request) have no client
    const signedIn = signedInAs(c);
    if (signedIn === 'superuser') return next();
    const matched = ruleSet.find(labels, signedIn === 'record');
    if (matched.length === 0) return next();

    // One window per rule and client; for a tag rule per collection and route too, as PocketBase.
    const tagRule = matched[0]!.label.includes(':');
    const client = clientKey(address);
    const keys = matched.map((r) => `${r.id}|${tagRule ? scope : ''}|${client}`);
    const { wait, taken } = windows.take(keys, matched);
    if (wait > 0) {
      deps.logger.debug({ label: matched[0]!.label, client, path }, 'rate limited');
      throw new ApiError(429, '', { headers: { 'retry-after': String(Math.ceil(wait / 1000)) } });
    }
    await next();
    if (tagRule && tags?.includes('auth') && c.res.status < 400) windows.refund(taken);
  });

  /** Who sent the request, from its token (the auth middleware, which runs later, does the same). */
  function signedInAs(c: ApiContext): 'superuser' | 'record' | null {
    const header = requestHeader(c, 'authorization');
    if (!header) return null;
    const found = authenticateToken(deps, header.replace(/^Bearer\s+/i, ''));
    if (!found) return null;
    return found.collection.id === SUPERUSERS.id ? 'superuser' : 'record';
  }
}
