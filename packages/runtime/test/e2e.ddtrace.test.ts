import { runE2E } from "./e2e.suite.ts"
import { ddTraceHarness } from "./harness.ddtrace.ts"

runE2E(ddTraceHarness)
