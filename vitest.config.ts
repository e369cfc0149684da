import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // why 2 workers on two cores (vitest's default is one fewer than the cores, so one here): many
    // files wait on child processes and workers (the pack test, --jobs, the search worker) while
    // the others compute, so two at once keep the whole suite under five minutes (350 s → 242 s)
    maxWorkers: 2,
    // why 60 s: two files share the two cores, so a CPU-bound test takes up to twice as long as alone
    testTimeout: 60_000,
  },
});
