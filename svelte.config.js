import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // The web app lives in web/ (see ARCHITECTURE.md); Hearth's own server mounts the handler.
    adapter: adapter({ out: 'build/web', precompress: true }),
    files: {
      routes: 'web/routes',
      lib: 'web/lib',
      appTemplate: 'web/app.html',
      errorTemplate: 'web/error.html',
      hooks: { server: 'web/hooks.server', client: 'web/hooks.client', universal: 'web/hooks' },
      params: 'web/params',
      assets: 'static',
    },
    alias: { $locales: 'locales' },
    typescript: {
      // One tsconfig for the whole package: the server, CLI, tests and benches are typed with the app.
      config(tsconfig) {
        tsconfig.include.push(
          '../web/*.ts',
          '../api/**/*.ts',
          '../bench/**/*.js',
          '../scripts/**/*.js',
          '../bin/**/*.js',
          '../*.config.ts',
          '../*.config.js',
        );
      },
    },
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:', 'blob:'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
  },
};

export default config;
