import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the `ringflag-source` condition (a name no
// dependency uses: eventsource's own `source` export would hand us its raw .ts), so tests run the
// code as written without a build step; published builds resolve to dist/ through `default`.
export default defineConfig({
  resolve: { conditions: ['ringflag-source'] },
  ssr: { resolve: { conditions: ['ringflag-source'], externalConditions: ['ringflag-source'] } },
  test: {
    include: ['{server,sdk-node,sdk-browser,admin-ui,test}/**/*.test.ts', 'admin-ui/**/*.test.tsx'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 20_000,
    // RINGFLAG_TEST_DB=postgres runs the suite on a throwaway PostgreSQL (started here) instead of SQLite;
    // the browser SDK is built first when its dist/ is stale (the server serves that file).
    globalSetup: ['test/support/postgres-global-setup.ts', 'test/support/build-global-setup.ts'],
  },
});
