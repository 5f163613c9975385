// The console is a client-side app: its session lives in the browser, and every page loads its data
// from the API as the signed-in superuser.
export const ssr = false;
