import { ddTraceHarness } from "./harness.ddtrace.ts"
import { runModes } from "./modes.suite.ts"

runModes(ddTraceHarness)
