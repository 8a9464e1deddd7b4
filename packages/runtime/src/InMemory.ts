/**
 * An in-memory backend for tests: deterministic ids, every finished span and telemetry increment recorded.
 * Re-exported from `@durable-trace/adapters/InMemory` so that an application installs one package.
 */
export * from "@durable-trace/adapters/InMemory"
