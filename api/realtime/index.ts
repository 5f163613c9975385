import type { Collection } from '../collections/collection.model';
import { ApiError } from '../core/errors';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { readJsonBody, SUPERUSERS, type ApiApp, type AppEnv, type AuthRecord } from '../core/http';
import type { Deps } from '../main';
import { presentRecords } from '../records/records.http';
import { rowMatches } from '../records/records.query';
import type { RecordRequest } from '../records/records.request';
import type { RecordEvent } from '../records/records.service';
import {
  IDLE_TIMEOUT_MS,
  MAX_SUBSCRIPTION_LENGTH,
  MAX_SUBSCRIPTIONS,
  parseSubscription,
  RealtimeClient,
  type Subscription,
} from './realtime.clients';

/**
 * PocketBase's realtime API (apis/realtime.go): `GET /api/realtime` opens an SSE stream whose first
 * message carries the client id; `POST /api/realtime {clientId, subscriptions}` replaces the client's
 * subscriptions. Record events come from the event bus after commit (never for a rolled-back write)
 * and reach a subscriber only if it could read the record through the API: the list rule for
 * `COLLECTION/*`, the view rule for `COLLECTION/ID`, plus the subscription's own filter, with
 * `@request.context = "realtime"`; expand and fields apply per subscription.
 */
export function register(app: ApiApp, deps: Deps): void {
  const clients = new Map<string, RealtimeClient>();
  registries.set(deps, clients);

  app.get('/api/realtime', (c) => {
    const outgoing = (c.env as AppEnv['Bindings'] | undefined)?.outgoing;
    if (!outgoing) throw ApiError.badRequest('Realtime needs a streaming HTTP connection.');
    const client = new RealtimeClient(outgoing, (closed) => clients.delete(closed.id));
    clients.set(client.id, client);
    client.send('PB_CONNECT', { clientId: client.id });
    return RESPONSE_ALREADY_SENT;
  });

  app.post('/api/realtime', async (c) => {
    const body = await readJsonBody(c);
    const { clientId, subscriptions } = body;
    if (typeof clientId !== 'string' || clientId === '') {
      throw ApiError.badRequest('Failed to set the subscriptions.', {
        clientId: { code: 'validation_required', message: 'Cannot be blank.' },
      });
    }
    const list = subscriptions ?? [];
    if (
      !Array.isArray(list) ||
      list.length > MAX_SUBSCRIPTIONS ||
      list.some((s) => typeof s !== 'string' || s.length > MAX_SUBSCRIPTION_LENGTH || /[\r\n]/.test(s))
    ) {
      throw ApiError.badRequest('Failed to set the subscriptions.', {
        subscriptions: {
          code: 'validation_invalid_value',
          message: `At most ${MAX_SUBSCRIPTIONS} subscriptions of at most ${MAX_SUBSCRIPTION_LENGTH} characters each.`,
        },
      });
    }
    const client = clients.get(clientId);
    if (!client || client.closed) throw ApiError.notFound('Missing or invalid client id.');
    const auth = c.get('auth');
    if (client.auth && (client.auth.collectionId !== auth?.collectionId || client.auth.id !== auth?.id)) {
      throw ApiError.forbidden("The current and the previous request authorization don't match.");
    }
    const parsed = new Map<string, Subscription>();
    for (const raw of list as string[]) {
      try {
        parsed.set(raw, parseSubscription(raw));
      } catch {
        throw ApiError.badRequest(`Invalid subscription options in ${JSON.stringify(raw.slice(0, 100))}.`);
      }
    }
    client.auth = auth;
    client.subscriptions = parsed;
    return c.body(null, 204);
  });

  // Which bound auth a client has, as a number: subscribers with the same auth snapshot and the same
  // subscription (topic, query, headers) see an event alike, so it is judged and serialized once.
  const authIds = new WeakMap<AuthRecord, number>();
  let nextAuthId = 1;
  const authKey = (auth: AuthRecord | undefined): number => {
    if (!auth) return 0;
    let id = authIds.get(auth);
    if (id === undefined) authIds.set(auth, (id = nextAuthId++));
    return id;
  };

  const broadcast = (action: 'create' | 'update' | 'delete') => (event: RecordEvent) => {
    const collection = deps.collections.find(event.collectionId);
    if (!collection) return;
    const judged = new Map<string, string | null>();
    for (const client of clients.values()) {
      for (const sub of client.subscriptions.values()) {
        if (!sub.collection || !matchesCollection(sub.collection, collection)) continue;
        if (sub.record !== '*' && sub.record !== event.row['id']) continue;
        const key = `${authKey(client.auth)}\n${sub.raw}`;
        let json = judged.get(key);
        if (json === undefined) {
          const request = realtimeRequest(deps, client, sub);
          const rule = sub.record === '*' ? 'listRule' : 'viewRule';
          json = rowMatches(deps, collection, rule, event.row, request, sub.query.filter ?? '')
            ? JSON.stringify({
                action,
                record: presentRecords(deps, collection, [event.row], request, sub.query)[0],
              })
            : null;
          judged.set(key, json);
        }
        if (json !== null) client.sendJSON(sub.raw, json);
      }
    }
  };
  deps.bus.subscribe('RecordCreate', broadcast('create'));
  deps.bus.subscribe('RecordUpdate', broadcast('update'));
  deps.bus.subscribe('RecordDelete', broadcast('delete'));
  deps.bus.subscribe('ServerClosing', () => {
    for (const client of [...clients.values()]) client.close();
  });

  // Idle connections close as in PocketBase; the timer never keeps the process alive.
  setInterval(() => {
    const now = Date.now();
    for (const client of clients.values()) if (now - client.lastSent > IDLE_TIMEOUT_MS) client.close();
  }, 30_000).unref();
}

/** The open clients of each running app (for sendToClient). */
const registries = new WeakMap<Deps, Map<string, RealtimeClient>>();

/**
 * Sends one message to one client, only if it is open and subscribed to `topic` (as such, or with
 * `?options=…`); that subscription is then removed, as PocketBase does for `@oauth2` (one redirect
 * per sign-in). Returns whether the message went out.
 */
export function sendToClient(deps: Deps, clientId: string, topic: string, data: unknown): boolean {
  const client = registries.get(deps)?.get(clientId);
  if (!client || client.closed) return false;
  const sub = [...client.subscriptions.values()].find(
    (s) => s.raw === topic || s.raw.startsWith(`${topic}?`),
  );
  if (!sub) return false;
  client.subscriptions.delete(sub.raw);
  client.send(sub.raw, data);
  return !client.closed;
}

function matchesCollection(topic: string, collection: Collection): boolean {
  return topic === collection.id || topic.toLowerCase() === collection.name.toLowerCase();
}

/** The request a subscription is judged as: the client's bound auth, its headers, context realtime. */
function realtimeRequest(deps: Deps, client: RealtimeClient, sub: Subscription): RecordRequest {
  const auth = client.auth;
  const collection = auth ? deps.collections.find(auth.collectionId) : undefined;
  return {
    isSuperuser: auth?.collectionId === SUPERUSERS.id,
    info: {
      auth: auth && collection ? { collection, record: auth.row } : null,
      method: 'GET',
      context: 'realtime',
      query: {},
      headers: sub.headers,
      body: {},
    },
  };
}
