import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process: stores open files and ports, and geoip-lite is large.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
