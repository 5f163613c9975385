import PocketBase, { ClientResponseError, type CollectionModel, type RecordModel } from 'pocketbase';
import { startServer, type RunningServer } from '../../api/server';
import {
  recordHeaders,
  SUPERUSER,
  testHearth,
  withSuperuser,
  type TestHearth,
} from '../../api/testing/hearth';

/**
 * A real Hearth HTTP server for the SDK conformance suite: built from source (no `npm run build`),
 * listening on a random loopback port over a temporary data folder, with the fixture superuser signed
 * in through the official `pocketbase` SDK exactly as an app would do it.
 */
export interface SdkServer {
  url: string;
  hearth: TestHearth;
  /** A client signed in as the fixture superuser (`_superusers` auth-with-password). */
  admin: PocketBase;
  /** A fresh anonymous client; with a token it is signed in with that token. */
  newClient(token?: string): PocketBase;
  /** An auth token for any record of an auth collection, minted with the token module. */
  userToken(collection: string, id: string): Promise<string>;
  /**
   * Signs a new record up through the public create endpoint and signs in with auth-with-password,
   * exactly as an app does; returns it with a client holding that session.
   */
  signUp(
    collection?: string,
    data?: Record<string, unknown>,
  ): Promise<{ record: RecordModel; client: PocketBase; token: string }>;
  close(): Promise<void>;
}

export const PASSWORD = 'pass-word-123456';

let counter = 0;
/** A name no other test in the run uses (collection names, emails). */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 7)}`;
}

export async function startSdkServer(): Promise<SdkServer> {
  const hearth = testHearth();
  let running: RunningServer | undefined;
  try {
    await withSuperuser(hearth);
    running = await startServer(hearth, { host: '127.0.0.1', port: 0 });
  } catch (err) {
    await hearth.cleanup();
    throw err;
  }
  const server = running;
  const url = server.url;

  const newClient = (token?: string): PocketBase => {
    const pb = new PocketBase(url);
    // Tests fire parallel requests to the same path; the SDK would cancel all but the last.
    pb.autoCancellation(false);
    if (token) pb.authStore.save(token, null);
    return pb;
  };

  const admin = newClient();
  await admin.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);

  const userToken = async (collection: string, id: string): Promise<string> =>
    (await recordHeaders(hearth, collection, id))['Authorization']!;

  const signUp: SdkServer['signUp'] = async (collection = 'users', data = {}) => {
    const email = `${unique('u').toLowerCase()}@example.com`;
    const anon = newClient();
    const record = await anon
      .collection(collection)
      .create({ email, password: PASSWORD, passwordConfirm: PASSWORD, ...data });
    const auth = await anon.collection(collection).authWithPassword(email, PASSWORD);
    return { record, client: newClient(auth.token), token: auth.token };
  };

  return {
    url,
    hearth,
    admin,
    newClient,
    userToken,
    signUp,
    async close() {
      await server.close(1000);
      await hearth.cleanup();
    },
  };
}

/** The `ClientResponseError` a request fails with; fails the test when the request succeeds. */
export async function failure(request: Promise<unknown>): Promise<ClientResponseError> {
  let result: unknown;
  try {
    result = await request;
  } catch (err) {
    if (err instanceof ClientResponseError) return err;
    throw err;
  }
  throw new Error(`expected the request to fail, but it answered ${JSON.stringify(result).slice(0, 300)}`);
}

/** `data.<field>.code` of a validation error, or undefined. */
export function fieldCode(err: ClientResponseError, field: string): unknown {
  const entry = (err.response['data'] as Record<string, unknown> | undefined)?.[field];
  return entry && typeof entry === 'object' ? (entry as Record<string, unknown>)['code'] : undefined;
}

export interface FieldSpec {
  name: string;
  type: string;
  [option: string]: unknown;
}

/** Creates a base collection (everything open unless rules say otherwise) and returns it. */
export function createCollection(
  admin: PocketBase,
  name: string,
  fields: FieldSpec[],
  extra: Record<string, unknown> = {},
): Promise<CollectionModel> {
  return admin.collections.create({
    name,
    type: 'base',
    listRule: '',
    viewRule: '',
    createRule: '',
    updateRule: '',
    deleteRule: '',
    fields,
    ...extra,
  });
}

/** Raw JSON request through the SDK's `send` (for query strings the typed helpers cannot express). */
export async function send(
  pb: PocketBase,
  path: string,
  options: { method?: string; query?: Record<string, unknown>; body?: unknown } = {},
): Promise<Record<string, unknown>> {
  return (await pb.send(path, options)) as Record<string, unknown>;
}

/** The column names of a table in the live database (a collection is a real table). */
export function tableColumns(hearth: TestHearth, table: string): string[] {
  const rows = hearth.db.sql.prepare('SELECT name FROM pragma_table_info(?)').all(table) as {
    name: string;
  }[];
  return rows.map((r) => r.name);
}
