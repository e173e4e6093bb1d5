import { defineConfig } from 'vitest/config';

// Every test runs twice: on embedded PGlite and on a real PostgreSQL server (a fresh database per
// test file), so both code paths stay equal.
export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
    projects: [
      { extends: true, test: { name: 'pglite', env: { SWITCHBOARD_TEST_DB: 'pglite' } } },
      { extends: true, test: { name: 'postgres', env: { SWITCHBOARD_TEST_DB: 'postgres' } } },
    ],
  },
});
