import { defineConfig } from 'vite';

/**
 * The admin UI build: TSX through Vite's own transformer (the automatic JSX runtime comes from
 * tsconfig.json's `"jsx": "react-jsx"`), everything bundled into dist/ with hashed names, which the
 * server serves at `/`. `pnpm --filter @ringflag/admin-ui dev` proxies the API to a local server.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    rolldownOptions: {
      // TanStack Query marks modules "use client" for React Server Components; meaningless in an SPA.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': process.env.RINGFLAG_URL ?? 'http://127.0.0.1:4280' },
  },
});
