/**
 * Benchmarks 4 and 5, end to end: the order workflow (`workflow.ts`) run to completion on the local runner,
 * untraced (`withDurableExecution`) and traced by durable-trace with the in-memory and the dd-trace backends,
 * next to Datadog's own integration (datadog-lambda-js's `datadog()` around the SDK with dd-trace's built-in
 * durable plugin). Runs are interleaved; each reports its wall time and the main thread's CPU time (the runner spends
 * half the wall time waiting on its own timers, and its checkpoint server runs on a worker thread, so the main
 * thread's CPU time shows the work tracing adds more steadily), and the checkpoint API calls of the execution
 * (benchmark 5, counted in the same runs).
 * Gotcha: dd-trace instruments only what is `require`d after `init()`, so Datadog's variant uses the SDK's
 * CommonJS build; its built-in plugin is switched on for its runs only (durable-trace's dd-trace backend turns it
 * off, as two writers would fork the checkpoint numbering).
 */
import type { DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { withDurableTracing } from "@durable-trace/runtime/withDurableTracing"
import { gc, millis, type Stats, stats, table } from "./measure.ts"
import { DURABLE_PLUGIN, metricIncrements, require, tracer, withTraceExportMuted } from "./tracer.ts"
import { countCheckpoints, orderWorkflow, runOrder } from "./workflow.ts"

/** Timed executions per variant, after `WARMUP` untimed ones. */
export const RUNS = 30
const WARMUP = 3

/** One way of running the workflow. */
interface Variant {
  readonly name: string
  readonly handler: DurableLambdaHandler
  /** Whether it must write `_datadog_0`. */
  readonly traced: boolean
  /** Whether dd-trace's built-in durable plugin is on for its runs. */
  readonly builtInPlugin?: boolean
  /** Called after each run (the in-memory backend forgets its spans). */
  readonly afterRun?: () => void
  /** Failures durable-trace reported to telemetry (`integration_errors`) so far. */
  readonly failures?: () => number
}

/** One variant's results. */
export interface EndToEndResult {
  readonly name: string
  readonly traced: boolean
  readonly wall: Stats
  readonly cpu: Stats
  readonly invocations: number
  /** Checkpoint API calls and the updates they carried, per execution. */
  readonly checkpointCalls: number
  readonly checkpointUpdates: number
  /** Failures durable-trace reported over the timed runs (`integration_errors` increments). */
  readonly failures: number | undefined
}

const datadogLambda = (): ((handler: DurableLambdaHandler) => DurableLambdaHandler) => {
  // Spans and the trace only: no enhanced metrics, cold-start spans, console patching or X-Ray merging.
  process.env.DD_ENHANCED_METRICS = "false"
  process.env.DD_COLD_START_TRACING = "false"
  process.env.DD_LOGS_INJECTION = "false"
  process.env.DD_MERGE_XRAY_TRACES = "false"
  return (require("datadog-lambda-js") as { datadog: (handler: DurableLambdaHandler) => DurableLambdaHandler }).datadog
}

const variants = (): ReadonlyArray<Variant> => {
  const memory = InMemory.make()
  let memoryFailures = 0
  const sdkCommonJs = require("@aws/durable-execution-sdk-js") as { withDurableExecution: typeof withDurableExecution }
  return [
    { name: "untraced: `withDurableExecution`", handler: withDurableExecution(orderWorkflow()), traced: false },
    {
      name: "durable-trace, in-memory backend",
      handler: withDurableTracing(orderWorkflow(), { backend: InMemory.layer(memory) }),
      traced: true,
      afterRun: () => {
        memoryFailures += memory.increments().length
        memory.reset()
      },
      failures: () => memoryFailures
    },
    {
      name: "durable-trace, dd-trace backend",
      handler: withDurableTracing(orderWorkflow(), { backend: DdTrace.layer(tracer) }),
      traced: true,
      failures: () => metricIncrements.get(DdTrace.INTEGRATION_ERRORS_METRIC) ?? 0
    },
    {
      name: "Datadog: datadog-lambda-js `datadog()` + dd-trace built-in plugin",
      handler: datadogLambda()(sdkCommonJs.withDurableExecution(orderWorkflow())),
      traced: true,
      builtInPlugin: true
    }
  ]
}

export const run = async (): Promise<ReadonlyArray<EndToEndResult>> =>
  withTraceExportMuted(async () => {
    const all = variants().map((variant) => ({
      variant,
      counter: countCheckpoints(variant.handler),
      wall: [] as Array<number>,
      cpu: [] as Array<number>,
      invocations: 0,
      failures: 0
    }))
    let orders = 0
    for (let round = 0; round < WARMUP + RUNS; round++) {
      for (let i = 0; i < all.length; i++) {
        const entry = all[(i + round) % all.length]!
        const { variant, counter } = entry
        tracer.use(DURABLE_PLUGIN, variant.builtInPlugin ?? false)
        if (round === WARMUP) counter.calls = counter.updates = 0
        gc()
        const failuresBefore = variant.failures?.() ?? 0
        const cpuBefore = process.threadCpuUsage()
        const execution = await runOrder(counter.handler, `order-${++orders}`)
        const cpu = process.threadCpuUsage(cpuBefore)
        variant.afterRun?.()
        const failures = (variant.failures?.() ?? 0) - failuresBefore
        if (execution.status !== "SUCCEEDED") throw new Error(`${variant.name}: execution ${execution.status}`)
        if (execution.operationNames.includes("_datadog_0") !== variant.traced) {
          throw new Error(`${variant.name}: _datadog_0 ${variant.traced ? "missing" : "written"}`)
        }
        if (round < WARMUP) continue
        entry.wall.push(execution.ms)
        entry.cpu.push((cpu.user + cpu.system) / 1000)
        entry.invocations = execution.invocations
        entry.failures += failures
      }
    }
    tracer.use(DURABLE_PLUGIN, false)
    return all.map(({ variant, counter, wall, cpu, invocations, failures }) => ({
      name: variant.name,
      traced: variant.traced,
      wall: stats(wall),
      cpu: stats(cpu),
      invocations,
      checkpointCalls: counter.calls / RUNS,
      checkpointUpdates: counter.updates / RUNS,
      failures: variant.failures === undefined ? undefined : failures
    }))
  })

const overhead = (value: number, base: number): string => `${(((value - base) / base) * 100).toFixed(1)}%`

/** The end-to-end section (benchmark 4). */
export const report = (results: ReadonlyArray<EndToEndResult>): string => {
  const base = results[0]!
  return table(
    [
      "variant",
      "wall median ms",
      "wall p95 ms",
      "wall overhead",
      "main-thread CPU median ms",
      "CPU overhead",
      "failures reported"
    ],
    results.map((r) => [
      r.name,
      millis(r.wall.median),
      millis(r.wall.p95),
      r === base ? "-" : overhead(r.wall.median, base.wall.median),
      millis(r.cpu.median),
      r === base ? "-" : overhead(r.cpu.median, base.cpu.median),
      r.failures === undefined ? "-" : String(r.failures)
    ])
  )
}

/** The checkpoint-calls section (benchmark 5). */
export const reportCheckpointCalls = (results: ReadonlyArray<EndToEndResult>): string => {
  const base = results[0]!
  return table(
    [
      "variant",
      "invocations",
      "checkpoint calls / execution",
      "calls / invocation",
      "updates / execution",
      "extra calls"
    ],
    results.map((r) => [
      r.name,
      String(r.invocations),
      r.checkpointCalls.toFixed(1),
      (r.checkpointCalls / r.invocations).toFixed(2),
      r.checkpointUpdates.toFixed(1),
      r === base ? "-" : `+${(r.checkpointCalls - base.checkpointCalls).toFixed(1)}`
    ])
  )
}
