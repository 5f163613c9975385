import PocketBase, { LocalAuthStore } from 'pocketbase';

/** Where the console keeps its superuser session: apart from the web app's user session. */
export const CONSOLE_AUTH_KEY = 'hearth_console_auth';

export const SUPERUSERS = '_superusers';

let client: PocketBase | undefined;

/**
 * The console's own SDK client. A superuser signs in to the console without replacing the account
 * they use in the apps (and an app session never reaches console pages), so it has its own auth
 * store, as PocketBase's dashboard keeps its own.
 */
export function consoleApi(): PocketBase {
  if (!client) {
    const pb = new PocketBase(window.location.origin, new LocalAuthStore(CONSOLE_AUTH_KEY));
    // A token the server no longer takes (expired, signed out everywhere) ends the session, so the
    // sign-in form comes back instead of every page failing.
    pb.afterSend = (response, data: unknown) => {
      if (response.status === 401 && pb.authStore.token) pb.authStore.clear();
      return data;
    };
    client = pb;
  }
  return client;
}
