import { defineConfig } from 'vite';

/**
 * Builds the server and CLI (api/) into one ESM bundle, build/server/hearth.js. Dependencies stay
 * external (loaded from node_modules); import.meta.glob gathers the migrations at this point.
 */
export default defineConfig({
  build: {
    ssr: 'api/cli/hearth.ts',
    outDir: 'build/server',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    minify: false,
    rollupOptions: { output: { entryFileNames: 'hearth.js', format: 'es' } },
  },
  ssr: { target: 'node' },
});
