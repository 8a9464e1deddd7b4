import { otelHarness } from "./harness.otel.ts"
import { runModes } from "./modes.suite.ts"

runModes(otelHarness)
