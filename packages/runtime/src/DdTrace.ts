/**
 * The dd-trace backend: `DdTrace.layer(tracer)` over the tracer you initialised.
 * Re-exported from `@durable-trace/adapters/DdTrace` so that an application installs one package.
 */
export * from "@durable-trace/adapters/DdTrace"
