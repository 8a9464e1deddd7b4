/**
 * The deployment example's test (examples/deploy/test/deploy.suite.ts), here because the root vitest config
 * collects examples/test. Imported by URL: examples/deploy is its own workspace package and TypeScript project.
 */
await import(new URL("../deploy/test/deploy.suite.ts", import.meta.url).href)
