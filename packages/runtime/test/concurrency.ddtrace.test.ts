import { runConcurrency } from "./concurrency.suite.ts"
import { ddTraceHarness } from "./harness.ddtrace.ts"

const { default: tracer } = await import("dd-trace")

runConcurrency({
  ...ddTraceHarness,
  userSpan: (name, id, fn) => tracer.trace(name, { tags: { execution: id } }, () => fn())
})
