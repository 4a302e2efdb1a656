import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Starts DynamoDB Local, kinesalite and s3rver once per run (test/support/aws.ts uses them).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
