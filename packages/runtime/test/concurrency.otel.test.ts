import { trace } from "@opentelemetry/api"
import { runConcurrency } from "./concurrency.suite.ts"
import { otelHarness } from "./harness.otel.ts"

const tracer = trace.getTracer("user")

runConcurrency({
  ...otelHarness,
  userSpan: (name, id, fn) =>
    tracer.startActiveSpan(name, { attributes: { execution: id } }, async (span) => {
      try {
        return await fn()
      } finally {
        span.end()
      }
    })
})
