/**
 * The dd-trace test harness: real dd-trace with its log exporter, finished spans read back off stdout.
 */
import "./ddtrace.offline.ts"

process.env.DD_SERVICE = "orders"

import * as DdTrace from "@durable-trace/adapters/DdTrace"
import type { Harness, TestSpan } from "./e2e.suite.ts"
import { consumeTraceLines, testSpansOf } from "./support.ts"

const { default: tracer } = await import("dd-trace")
tracer.init()

/** dd-trace's log exporter writes one `{"traces":[[...]]}` line per finished chunk: collect them all. */
const exported: Array<TestSpan> = []
consumeTraceLines((chunk) => exported.push(...testSpansOf(chunk)))

/** dd-trace, initialised once per test process. */
export const ddTraceHarness: Harness = {
  name: "dd-trace (log exporter)",
  backend: () => DdTrace.layer(tracer),
  reset: () => {
    exported.length = 0
  },
  spans: () => [...exported],
  keepTrace: () => {
    // Public API: a user keeping a trace sets the priority to USER_KEEP (2) on the active span.
    tracer.scope().active()?.setTag("manual.keep", true)
  }
}
