/**
 * The dd-trace test harness: real dd-trace with its log exporter, finished spans read back off stdout.
 */
import "./ddtrace.offline.ts"

process.env.DD_SERVICE = "orders"

import * as DdTrace from "@durable-trace/adapters/DdTrace"
import type { Harness, TestSpan } from "./e2e.suite.ts"

const { default: tracer } = await import("dd-trace")
tracer.init()

/** One span as dd-trace's log exporter prints it (ids as 16 hex, the high 64 trace bits in `_dd.p.tid`). */
interface ExportedSpan {
  readonly name: string
  readonly trace_id: string
  readonly span_id: string
  readonly parent_id: string
  readonly resource: string
  readonly error: number
  readonly meta: Readonly<Record<string, string>>
  readonly metrics: Readonly<Record<string, number>>
}

/** dd-trace's log exporter writes one `{"traces":[[...]]}` line per finished chunk: collect them all. */
const exported: Array<TestSpan> = []
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
  const text = String(chunk)
  // Trace lines are consumed here; anything else goes through.
  if (!text.startsWith('{"traces":')) return (write as (...args: Array<unknown>) => boolean)(chunk, ...rest)
  for (const line of text.split("\n")) {
    if (!line.startsWith('{"traces":')) continue
    for (const spans of (JSON.parse(line) as { readonly traces: ReadonlyArray<ReadonlyArray<ExportedSpan>> }).traces) {
      // The high 64 bits ride on one span of each chunk only.
      const tid = spans.find((span) => span.meta["_dd.p.tid"])?.meta["_dd.p.tid"] ?? "0".repeat(16)
      for (const span of spans) {
        exported.push({
          name: span.name,
          traceId: `${tid}${span.trace_id}`,
          spanId: span.span_id,
          parentId: /^0+$/.test(span.parent_id) ? undefined : span.parent_id,
          resource: span.resource,
          error: span.error === 1,
          tags: { ...span.metrics, ...span.meta }
        })
      }
    }
  }
  return true
}) as typeof process.stdout.write

/** dd-trace, initialised once per test process. */
export const ddTraceHarness: Harness = {
  name: "dd-trace (log exporter)",
  backend: () => DdTrace.make(tracer),
  reset: () => {
    exported.length = 0
  },
  spans: () => [...exported],
  keepTrace: () => {
    // Public API: a user keeping a trace sets the priority to USER_KEEP (2) on the active span.
    tracer.scope().active()?.setTag("manual.keep", true)
  }
}
