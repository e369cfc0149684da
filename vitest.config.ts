import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // why: exhaustive searches are CPU-bound; the whole suite must stay under five minutes on two cores
    testTimeout: 30_000,
  },
});
