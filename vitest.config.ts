import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // e2e set-up mints secrets with the real CLI and starts real daemons: seconds each on a loaded 2-core box
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
