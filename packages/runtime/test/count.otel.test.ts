import { runCount } from "./count.suite.ts"
import { otelHarness } from "./harness.otel.ts"

runCount(otelHarness)
