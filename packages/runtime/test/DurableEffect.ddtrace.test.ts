import { runDurableEffectSuite } from "./DurableEffect.suite.ts"
import { ddTraceHarness } from "./harness.ddtrace.ts"

runDurableEffectSuite(ddTraceHarness)
