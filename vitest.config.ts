import { defineConfig } from 'vitest/config'

// One run for the whole monorepo. Tests import workspace packages through their built `dist/`
// (`pnpm test` builds first). Each test file runs in its own process (`forks`), because the
// embedded ClickHouse engine binds one data directory per process.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'collector/test/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
