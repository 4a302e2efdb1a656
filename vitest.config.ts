import { defineConfig } from 'vitest/config';

/**
 * Two projects, so `npm test` runs every test file once and a run of tests that need no
 * stand-in starts none:
 *   unit       jobs/**\/*.test.ts (harness tests beside each job) and test/unit: memory
 *              adapters only, no global setup (`npx vitest run jobs/order-totals` starts nothing)
 *   stand-ins  the rest of test/: DynamoDB Local, kinesalite and s3rver are started once per
 *              run by its global setup (test/support/aws.ts uses them); vitest runs a
 *              project's global setup only when some of its files are selected.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['jobs/**/*.test.ts', 'test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'stand-ins',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
