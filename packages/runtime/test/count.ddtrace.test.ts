import { runCount } from "./count.suite.ts"
import { ddTraceHarness } from "./harness.ddtrace.ts"

runCount(ddTraceHarness)
