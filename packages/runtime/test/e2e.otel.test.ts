import { runE2E } from "./e2e.suite.ts"
import { otelHarness } from "./harness.otel.ts"

runE2E(otelHarness)
