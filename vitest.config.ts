import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests make real audio with ffmpeg and spawn the built CLI: generous, but the whole
    // suite stays well under a minute on two cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One concern a file. ffmpeg first: without it the run stops before anything else.
    // Then: fail the run when a test wrote into the checkout (a ledger, an outbox, a config).
    globalSetup: ['test/setup/ffmpeg.ts', 'test/setup/checkout-unchanged.ts'],
    // The JSON copy lets .ci/run print a plain "N passed, N failed" line any CI can read.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
