/**
 * The action tags PocketBase gives its collection routes (collectionPathRateLimit and
 * checkCollectionRateLimit in apis/record_auth.go, record_crud.go, file.go), found from the method
 * and path alone: the limiter runs before Hono has matched a route. A rule `users:auth` or `*:auth`
 * matches every route tagged `auth`; the first tag is the route's own (`authWithPassword`) and names
 * the route in window keys. Asked on every request, so nothing is allocated until a rule needs it.
 */

/** Routes under /api/collections/{collection}/ other than records, by `METHOD rest-of-path`. */
const COLLECTION_ROUTES = new Map<string, readonly string[]>([
  ['GET auth-methods', ['listAuthMethods']],
  ['POST auth-refresh', ['authRefresh']],
  ['POST auth-with-password', ['authWithPassword', 'auth']],
  ['POST auth-with-oauth2', ['authWithOAuth2', 'auth']],
  ['POST auth-with-otp', ['authWithOTP', 'auth']],
  // Hearth's Sign-In with Ethereum (EIP-4361), a sign-in like the others.
  ['POST auth-with-siwe', ['authWithSIWE', 'auth']],
  ['POST request-otp', ['requestOTP']],
  ['POST request-password-reset', ['requestPasswordReset']],
  ['POST confirm-password-reset', ['confirmPasswordReset']],
  ['POST request-verification', ['requestVerification']],
  ['POST confirm-verification', ['confirmVerification']],
  ['POST request-email-change', ['requestEmailChange']],
  ['POST confirm-email-change', ['confirmEmailChange']],
]);

const COLLECTIONS = '/api/collections/';
const FILES = '/api/files/';

const LIST = ['list'] as const;
const VIEW = ['view'] as const;
const CREATE = ['create'] as const;
const UPDATE = ['update'] as const;
const DELETE = ['delete'] as const;
const FILE = ['file'] as const;

/** Each tag's methods (HEAD goes where GET goes). */
const TAG_METHODS = new Map<string, string[]>();
for (const [route, tags] of [
  ...COLLECTION_ROUTES,
  ['GET records', [...LIST, ...VIEW, ...FILE]],
  ['POST records', CREATE],
  ['PATCH records', UPDATE],
  ['DELETE records', DELETE],
] as const) {
  const method = route.slice(0, route.indexOf(' '));
  for (const tag of tags) {
    const methods = TAG_METHODS.get(tag) ?? [];
    methods.push(...(method === 'GET' ? ['GET', 'HEAD'] : [method]));
    TAG_METHODS.set(tag, methods);
  }
}

/**
 * The methods of the routes carrying any of these tags: a request with another method has no tag a
 * rule names, whatever its path (a plain tag such as `test_a` is on no route of Hearth's).
 */
export function tagMethods(tags: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const tag of tags) for (const m of TAG_METHODS.get(tag) ?? []) out.add(m);
  return out;
}

/** The tags of the route a request goes to, or null for untagged routes (settings, collections …). */
export function routeTags(method: string, path: string): readonly string[] | null {
  const get = method === 'GET' || method === 'HEAD';
  if (path.startsWith(COLLECTIONS)) {
    const slash = path.indexOf('/', COLLECTIONS.length);
    if (slash <= COLLECTIONS.length || slash === path.length - 1) return null;
    if (path.startsWith('records', slash + 1)) {
      const end = slash + 8; // just after "records"
      if (end === path.length) {
        if (get) return LIST;
        return method === 'POST' ? CREATE : null;
      }
      if (path[end] === '/') {
        // records/{id}, nothing after the id
        if (end + 1 === path.length || path.indexOf('/', end + 1) !== -1) return null;
        if (get) return VIEW;
        if (method === 'PATCH') return UPDATE;
        return method === 'DELETE' ? DELETE : null;
      }
    }
    return collectionRoute(get, method, path, slash);
  }
  if (get && path.startsWith(FILES)) {
    // /api/files/{collection}/{recordId}/{filename}
    const a = path.indexOf('/', FILES.length);
    const b = a === -1 ? -1 : path.indexOf('/', a + 1);
    if (a <= FILES.length || b <= a + 1 || b === path.length - 1 || path.indexOf('/', b + 1) !== -1) {
      return null;
    }
    return FILE;
  }
  return null;
}

function collectionRoute(
  get: boolean,
  method: string,
  path: string,
  slash: number,
): readonly string[] | null {
  return COLLECTION_ROUTES.get(`${get ? 'GET' : method} ${path.slice(slash + 1)}`) ?? null;
}

/** The `{collection}` segment (a name or an id) of a path `routeTags` tagged. */
export function routeCollection(path: string): string {
  const start = path.startsWith(COLLECTIONS) ? COLLECTIONS.length : FILES.length;
  return path.slice(start, path.indexOf('/', start));
}
