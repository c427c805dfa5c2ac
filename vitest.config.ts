import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Runtime smoke tests run under Deno and Bun through `npm run test:runtimes`, not vitest.
    exclude: ['node_modules/**', 'dist/**', 'test/runtimes/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Interop and crash tests start servers and child processes; two cores.
    pool: 'forks',
  },
});
