/**
 * Test support shared by the runtime's suites: dd-trace's log exporter read back (its `{"traces":[[...]]}` lines
 * on stdout), stdout and `console.log` capture, a child process's output, one run on the local runner, and the
 * operations events are built of. Each helper restores what it patched
 * when its function settles, so a failing test leaves the process as it found it.
 */
import type { ChildProcess } from "node:child_process"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import type { TestLink, TestSpan } from "./e2e.suite.ts"
import type { Workflow } from "./workflows.ts"

/** One span as dd-trace's log exporter prints it (ids as 16 hex, the high 64 trace bits in `_dd.p.tid`). */
export interface ExportedSpan {
  readonly name: string
  readonly resource: string
  readonly trace_id: string
  readonly span_id: string
  readonly parent_id: string
  /** Epoch nanoseconds. */
  readonly start: number
  readonly duration: number
  readonly error: number
  readonly type?: string
  readonly meta: Readonly<Record<string, string>>
  readonly metrics: Readonly<Record<string, number>>
}

/** Whether `text` (a line, or the start of a write) is one of the log exporter's trace lines. */
export const isTraceLine = (text: string): boolean => text.startsWith('{"traces":')

/** The trace chunks of the log exporter's lines among `lines`, in order; other lines are skipped. */
export const exportedChunks = (lines: ReadonlyArray<string>): Array<ReadonlyArray<ExportedSpan>> =>
  lines
    .filter(isTraceLine)
    .flatMap((line) => (JSON.parse(line) as { readonly traces: Array<ReadonlyArray<ExportedSpan>> }).traces)

/** Every span of the log exporter's lines among `lines`, in order. */
export const exportedSpans = (lines: ReadonlyArray<string>): Array<ExportedSpan> => exportedChunks(lines).flat()

/** A chunk's spans in the suites' common shape: the 32-hex trace id, no parent for a root, meta over metrics. */
export const testSpansOf = (chunk: ReadonlyArray<ExportedSpan>): Array<TestSpan> => {
  // The high 64 bits ride on one span of each chunk only.
  const tid = chunk.find((span) => span.meta["_dd.p.tid"])?.meta["_dd.p.tid"] ?? "0".repeat(16)
  // The priority rides on the chunk's first span (`_sampling_priority_v1`).
  const priority = chunk.find((span) => span.metrics._sampling_priority_v1 !== undefined)?.metrics._sampling_priority_v1
  return chunk.map((span) => ({
    name: span.name,
    links: linksOf(span.meta["_dd.span_links"]),
    sampled: priority === undefined ? undefined : priority > 0,
    traceId: `${tid}${span.trace_id}`,
    spanId: span.span_id,
    parentId: /^0+$/.test(span.parent_id) ? undefined : span.parent_id,
    resource: span.resource,
    error: span.error === 1,
    start: span.start / 1e6,
    end: (span.start + span.duration) / 1e6,
    tags: { ...span.metrics, ...span.meta }
  }))
}

/** dd-trace's `_dd.span_links` meta (a JSON array, ids in hex) as links. */
const linksOf = (meta: string | undefined): Array<TestLink> | undefined => {
  if (meta === undefined) return undefined
  const links = JSON.parse(meta) as Array<{ trace_id: string; span_id: string; attributes?: Record<string, string> }>
  return links.map((link) => ({
    traceId: link.trace_id.padStart(32, "0"),
    spanId: link.span_id.padStart(16, "0"),
    role: link.attributes?.["durable.link.role"]
  }))
}

/**
 * From now on, for the rest of the process, every write of trace lines to stdout goes to `onChunk` (one call a
 * chunk) instead of the terminal; anything else goes through.
 */
export const consumeTraceLines = (onChunk: (chunk: ReadonlyArray<ExportedSpan>) => void): void => {
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
    const text = String(chunk)
    if (!isTraceLine(text)) return (write as (...args: Array<unknown>) => boolean)(chunk, ...rest)
    for (const traceChunk of exportedChunks(text.split("\n"))) onChunk(traceChunk)
    return true
  }) as typeof process.stdout.write
}

/**
 * Runs `fn` with stdout intercepted: every non-empty line written meanwhile is kept in `lines`, and a write goes on
 * to the writer underneath only when `passOn(text)` says so.
 */
export const interceptStdout = async <A>(
  fn: () => Promise<A>,
  passOn: (text: string) => boolean
): Promise<{ result: A; lines: Array<string> }> => {
  const lines: Array<string> = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
    const text = String(chunk)
    lines.push(...text.split("\n").filter((line) => line.length > 0))
    return passOn(text) ? (write as (...args: Array<unknown>) => boolean).call(process.stdout, chunk, ...rest) : true
  }) as typeof process.stdout.write
  try {
    return { result: await fn(), lines }
  } finally {
    process.stdout.write = write
  }
}

/**
 * Every line written to stdout while `fn` runs (the SDK logger and dd-trace's log exporter write there). Kept
 * off the test output unless `DURABLE_TRACE_TEST_VERBOSE=1`; dd-trace's trace lines still reach the writer
 * underneath, where its harness collects them.
 */
export const captureStdout = <A>(fn: () => Promise<A>): Promise<{ result: A; lines: Array<string> }> => {
  const verbose = process.env.DURABLE_TRACE_TEST_VERBOSE === "1"
  return interceptStdout(fn, (text) => verbose || isTraceLine(text))
}

/** Runs `fn` with stdout muted: nothing written meanwhile reaches the writer underneath, trace lines included. */
export const muteStdout = async <A>(fn: () => Promise<A>): Promise<A> => (await interceptStdout(fn, () => false)).result

/** Every `console.log` line while `fn` runs (Effect's default logger writes there), still printed. */
export const captureConsoleLog = async <A>(fn: () => Promise<A>): Promise<{ result: A; logged: Array<string> }> => {
  const logged: Array<string> = []
  const log = console.log
  console.log = (...args: Array<unknown>) => {
    logged.push(args.map(String).join(" "))
    log(...args)
  }
  try {
    return { result: await fn(), logged }
  } finally {
    console.log = log
  }
}

/** What a child process wrote and how it ended. */
export interface ChildOutput {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Collects `child`'s stdout and stderr until it closes; rejects when it cannot be started. */
export const outputOf = (child: ChildProcess): Promise<ChildOutput> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout?.on("data", (chunk) => {
      stdout += String(chunk)
    })
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk)
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/**
 * Runs `handler` once on a fresh local-runner environment (the runner's fake clock otherwise carries over and later
 * waits stop suspending), with `workflow.drive` alongside. The runner is imported when called, so that a test file
 * decides when the SDK loads (after `tracer.init()`, for instance).
 */
export const runOnce = async (handler: unknown, workflow: Pick<Workflow, "drive">, payload: unknown = {}) => {
  const { LocalDurableTestRunner } = await import("@aws/durable-execution-sdk-js-testing")
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: handler as never })
    const [result] = await Promise.all([runner.run({ payload }), workflow.drive?.(runner)])
    return result
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

/** A succeeded step operation as an event carries it, `result` as its `StepDetails.Result` (`Attempt` if given). */
export const stepOperation = (name: string, id: string, result: unknown, attempt?: number) => ({
  Id: id,
  Name: name,
  Type: "STEP",
  SubType: "Step",
  Status: "SUCCEEDED",
  StepDetails: attempt === undefined ? { Result: result } : { Attempt: attempt, Result: result }
})

/** Checkpoint `_datadog_{n}` of `executionArn` under our writer's operation id, `payload` as its result. */
export const checkpointOperation = (n: number, executionArn: string, payload: unknown, attempt?: number) =>
  stepOperation(
    Checkpoint.checkpointName(n),
    Checkpoint.checkpointOperationId(Checkpoint.checkpointName(n), executionArn),
    payload,
    attempt
  )
