/**
 * The OpenTelemetry backend: `OpenTelemetry.layerGlobal` over the global OpenTelemetry API your SDK registered.
 * Re-exported from `@durable-trace/adapters/OpenTelemetry` so that an application installs one package.
 */
export * from "@durable-trace/adapters/OpenTelemetry"
