import { ddTraceHarness } from "./harness.ddtrace.ts"
import { runInvokeTests } from "./invoke.suite.ts"

runInvokeTests(ddTraceHarness)
