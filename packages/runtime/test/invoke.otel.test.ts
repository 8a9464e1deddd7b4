import { otelHarness } from "./harness.otel.ts"
import { runInvokeTests } from "./invoke.suite.ts"

runInvokeTests(otelHarness)
