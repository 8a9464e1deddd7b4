/**
 * `pnpm demo [--backend dd-trace|otel] [--mode continuous|linked] [--out file.html]`: runs the order workflow on
 * the durable SDK's local runner (in process, time skipped) under real dd-trace (default) or OpenTelemetry, traced
 * by durable-trace. Prints what each invocation read and wrote, the whole trace as a tree, and writes a waterfall
 * page. The runner skips the idle time (a 5-minute retry delay, a one-day wait); the demo puts it back into the
 * spans' timestamps from the timers in the execution's history (`skippedTime.ts`), so the picture shows the
 * execution as deployed.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { performance } from "node:perf_hooks"
import type { InvocationSummary } from "@durable-trace/runtime/withDurableTracing"
import { parseCli, USAGE } from "./cli.ts"
import type { Collector, DemoSpan } from "./collect.ts"
import { makeOrderWorkflow, type Order, PAYMENT_CALLBACK } from "./orderWorkflow.ts"
import { formatDuration, tree, waterfall } from "./render.ts"
import { serviceTimes, unskip } from "./skippedTime.ts"

const cli = parseCli(process.argv.slice(2), resolve(import.meta.dirname, "../../out/trace.html"))
if (cli._tag === "Help") {
  console.log(USAGE)
  process.exit(0)
}
if (cli._tag === "Invalid") {
  console.error(`pnpm demo: ${cli.message} (see pnpm demo --help)`)
  process.exit(2)
}
const values = cli

// The runtime reads its trace mode from the environment (the `traceMode` option's default).
process.env.DURABLE_TRACE_MODE = values.mode
// The tracer first: dd-trace must be initialised before the code it traces is loaded.
const { ddTrace, openTelemetry } = await import("./collect.ts")
const collector: Collector = await (values.backend === "dd-trace" ? ddTrace() : openTelemetry())
const { LocalDurableTestRunner, WaitingOperationStatus } = await import("@aws/durable-execution-sdk-js-testing")
const { withDurableTracing } = await import("@durable-trace/runtime/withDurableTracing")

const summaries: Array<InvocationSummary> = []
const traced = withDurableTracing(makeOrderWorkflow(), {
  backend: collector.backend,
  service: "orders",
  handlerName: "orderWorkflow",
  onInvocation: (summary) => summaries.push(summary)
})
// Bound now, before the runner installs its fake timers (which patch Date, and perf_hooks' performance.now in place).
const RealDate = Date
const realNow = performance.now.bind(performance)

// The SDK logger writes JSON lines to stdout; keep them to show (compactly) that they carry the trace ids.
const sdkLogs: Array<Record<string, string>> = []
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
  const text = String(chunk)
  if (!text.startsWith('{"requestId"')) return (write as (...args: Array<unknown>) => boolean)(chunk, ...rest)
  for (const line of text.split("\n").filter(Boolean)) sdkLogs.push(JSON.parse(line) as Record<string, string>)
  return true
}) as typeof process.stdout.write

const order: Order = { orderId: "o-1001", sku: "sku-espresso-machine", quantity: 1 }
await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
// One clock for everything: the real one. The runner jumps its fake Date over a timer only while a fake timer is
// pending, so times read off it (the SDK's, the plugin's, OpenTelemetry's span starts) would sit a day ahead in one
// run and at real time in the next, while dd-trace and the runner's checkpoint service (a worker thread) keep real
// time. The runner's fake timers stay installed: it still fires the SDK's timers by ticking them. What was skipped
// is put back from the service's history afterwards (`skippedTime.ts`).
globalThis.Date = RealDate
performance.now = realNow
const runner = new LocalDurableTestRunner({ handlerFunction: traced })
const payment = runner.getOperation(PAYMENT_CALLBACK)
const paying = (async () => {
  // The payment provider calls back once the link was sent.
  await payment.waitForData(WaitingOperationStatus.SUBMITTED)
  await payment.sendCallbackSuccess(JSON.stringify({ paid: true, amount: 499 }))
})()
const result = await runner.run({ payload: order })
await paying
await LocalDurableTestRunner.teardownTestEnvironment()

const short = (hex: string | undefined) => (hex === undefined ? "-" : `…${hex.slice(-8)}`)
const describeRead = (summary: InvocationSummary): string => {
  const read = summary.read
  if (read === undefined || read.context._tag === "None") return "read: nothing; starts a new trace"
  const context = read.context.value
  const from = read.checkpoint._tag === "Some" ? `checkpoint ${read.checkpoint.value.name}` : read.source
  return `read: ${from} -> trace ${short(context.traceId)}, parent ${context.spanId}`
}
const describeWrite = (summary: InvocationSummary): string => {
  const early = summary.early
  if (early !== undefined) {
    return `wrote: ${early.name} early, inside the SDK's first checkpoint batch (anchor ${early.anchor}, no extra request)`
  }
  const write = summary.write
  if (write === undefined) return summary.status === "PENDING" ? "wrote: nothing" : "wrote: nothing (not suspending)"
  switch (write._tag) {
    case "Written":
      return `wrote: ${write.name} (anchor ${write.anchor}, op ${write.operationId.slice(0, 8)}…)`
    case "Unchanged":
      return `wrote: nothing (context unchanged since _datadog_${write.prior})`
    case "Failed":
      return `wrote: nothing (failed at ${write.error.location}: ${write.error.reason})`
  }
}

console.log(`\ndurable-trace demo: order workflow on the local durable runner, traced with ${collector.name}\n`)
summaries.forEach((summary, i) => {
  console.log(`invocation ${i + 1}  ${(summary.status ?? "?").padEnd(9)} ${describeRead(summary)}`)
  console.log(`${" ".repeat(23)}${describeWrite(summary)}`)
})

// Every span is on the real clock; the service's timers say what was skipped before each invocation.
const shift = unskip(serviceTimes(result.getHistoryEvents()))
const spans: ReadonlyArray<DemoSpan> = collector
  .spans()
  .map((span) => ({ ...span, start: shift(span.start), end: shift(span.end) }))
const traces = new Set(spans.map((span) => span.traceId))
const first = spans.filter((s) => s.name === "aws.lambda").sort((a, b) => a.start - b.start)[0]
const elapsed = spans.length === 0 ? 0 : Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start))
console.log(`\nexecution: ${result.getStatus()}, result ${JSON.stringify(result.getResult())}`)
console.log(
  `${spans.length} spans, ${summaries.length} invocations over ${formatDuration(elapsed)}, ${traces.size} trace${traces.size === 1 ? "" : "s"}\n`
)
console.log(tree(spans))

console.log("\nSDK log lines, enriched by the plugin (SPEC §6):")
for (const log of sdkLogs) {
  console.log(
    `  ${log.level} ${String(log.message).split(" {")[0]!.padEnd(18)} dd.trace_id=${log["dd.trace_id"]} dd.span_id=${log["dd.span_id"]}`
  )
}

mkdirSync(dirname(values.out), { recursive: true })
const heading =
  traces.size === 1
    ? `Order ${order.orderId}: one trace across ${summaries.length} invocations (${collector.name})`
    : `Order ${order.orderId}: ${traces.size} linked traces over ${summaries.length} invocations (${collector.name})`
writeFileSync(values.out, waterfall(spans, heading, { mode: values.mode }))
console.log(`\nwaterfall: ${values.out}`)

const expectedTraces = values.mode === "linked" ? summaries.length : 1
const ok = result.getStatus() === "SUCCEEDED" && traces.size === expectedTraces && first !== undefined
if (!ok) {
  console.error(
    `demo failed: expected one succeeded execution in ${expectedTraces} trace${expectedTraces === 1 ? "" : "s"} (${values.mode} mode), got ${result.getStatus()} in ${traces.size}`
  )
  process.exitCode = 1
}
