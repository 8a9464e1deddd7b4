import { runDurableEffectSuite } from "./DurableEffect.suite.ts"
import { otelHarness } from "./harness.otel.ts"

runDurableEffectSuite(otelHarness)
