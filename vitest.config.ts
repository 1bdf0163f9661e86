import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // LiteRT.js keeps one WASM instance per worker; forks keep its globals away from other files.
    pool: 'forks',
  },
});
