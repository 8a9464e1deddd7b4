import { INTEGRATION_ERRORS } from "@durable-trace/core/Telemetry"
import * as InMemory from "../src/InMemory.ts"
import { runContract } from "./contract.ts"

runContract("in-memory", async () => {
  const backend = InMemory.make()
  return {
    layer: InMemory.layer(backend),
    spans: () =>
      backend.spans().map((span) => ({
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentId: span.parentId,
        resource: span.resource,
        type: span.type,
        error: span.error !== undefined,
        errorMessage: span.error?.message,
        tags: span.tags
      })),
    increments: async () =>
      backend.increments().map((tags) => ({ name: INTEGRATION_ERRORS, value: 1, tags: { ...tags } })),
    reset: backend.reset,
    supportsDatadogHeaders: true,
    // The in-memory backend has no baggage to leak.
    withBaggage: (_span, fn) => fn()
  }
})
