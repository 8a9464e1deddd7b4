import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/test/**/*.test.ts"],
    // dd-trace and the durable test runner keep process-wide state: isolate test files.
    pool: "forks",
    testTimeout: 30_000,
    sequence: { concurrent: false }
  }
})
