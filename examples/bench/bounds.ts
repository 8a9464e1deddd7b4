/**
 * The bounds of the README's Guarantees section, in real time (issue 14): what a hanging checkpoint write and a
 * stalled exporter cost an invocation, what a SIGTERM costs a process, and how many concurrent executions one
 * handler keeps apart. The tests assert the logic of each bound on a clock they control
 * (`packages/runtime/test/bounded.test.ts`, `flush.test.ts`, `sigterm.test.ts`, `concurrency.*.test.ts`);
 * these are the figures, which depend on the machine.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { DurableExecutionClient, withDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import * as Backend from "@durable-trace/adapters/Backend"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { withDurableTracing } from "@durable-trace/runtime/withDurableTracing"
import { now } from "./measure.ts"

type Handler = (event: unknown, context: unknown) => Promise<unknown>

const ROUNDS = 5

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const services = () => {
  const memory = InMemory.make()
  const { backend, propagation, telemetry } = memory
  return { memory, backend, propagation, telemetry }
}

const step = async (_event: unknown, context: Parameters<Parameters<typeof withDurableExecution>[0]>[1]) => {
  await context.step("reserve", async () => "reserved")
  await context.wait("cool-off", { seconds: 5 })
  return context.step("ship", async () => "shipped")
}

const single = async (_event: unknown, context: Parameters<Parameters<typeof withDurableExecution>[0]>[1]) =>
  context.step("one", async () => 1)

/** Real duration of each invocation of one execution of `handler` on the local runner. */
const invocationMillis = async (
  handler: Handler,
  around?: (event: { durableExecutionClient: DurableExecutionClient }) => void
) => {
  const durations: Array<number> = []
  const timed: Handler = async (event, context) => {
    around?.(event as { durableExecutionClient: DurableExecutionClient })
    const start = now()
    try {
      return await handler(event, context)
    } finally {
      durations.push(now() - start)
    }
  }
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    await new LocalDurableTestRunner({ handlerFunction: timed as never }).run({ payload: {} })
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
    process.stdout.write = write
  }
  return durations
}

/** A client whose `_datadog_` requests never settle. */
const hangOurWrites = (event: { durableExecutionClient: DurableExecutionClient }) => {
  const client = event.durableExecutionClient
  if ((client as { hung?: boolean }).hung) return
  ;(client as { hung?: boolean }).hung = true
  const checkpoint = client.checkpoint.bind(client)
  client.checkpoint = (request, logger) =>
    (request.Updates ?? []).some((u) => u.Name?.startsWith("_datadog_"))
      ? new Promise(() => {})
      : checkpoint(request, logger)
}

export interface BoundsResult {
  readonly write: { readonly reference: number; readonly hung300: number; readonly left700: number }
  readonly flush: { readonly reference: number; readonly stalled300: number }
  readonly sigterm: { readonly untraced: number; readonly traced: number; readonly stalled: number }
  readonly concurrency: ReadonlyArray<{
    readonly executions: number
    readonly millis: number
    readonly misplaced: number
  }>
}

const writeBound = async () => {
  const reference: Array<number> = []
  const hung: Array<number> = []
  const left: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    const options = { earlyCheckpoint: false, writeTimeoutMillis: 300 }
    reference.push(
      (
        await invocationMillis(
          withDurableTracing(step, { backend: InMemory.layer(services().memory), ...options }) as Handler
        )
      )[0]!
    )
    hung.push(
      (
        await invocationMillis(
          withDurableTracing(step, { backend: InMemory.layer(services().memory), ...options }) as Handler,
          hangOurWrites
        )
      )[0]!
    )
    const nearDeadline = withDurableTracing(step, {
      ...options,
      backend: InMemory.layer(services().memory),
      writeTimeoutMillis: 2000
    }) as Handler
    left.push(
      (
        await invocationMillis(
          (event, context) => nearDeadline(event, { ...(context as object), getRemainingTimeInMillis: () => 700 }),
          hangOurWrites
        )
      )[0]!
    )
  }
  return { reference: median(reference), hung300: median(hung), left700: median(left) }
}

const flushBound = async () => {
  const reference: Array<number> = []
  const stalled: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    const plain = services()
    reference.push(
      (
        await invocationMillis(
          withDurableTracing(single, { backend: InMemory.layer(plain.memory), writeTimeoutMillis: 300 }) as Handler
        )
      )[0]!
    )
    const { backend, propagation, telemetry } = services()
    const layer = Backend.layer({
      backend: { ...backend, flush: () => new Promise<void>(() => {}) },
      propagation,
      telemetry
    })
    stalled.push(
      (await invocationMillis(withDurableTracing(single, { backend: layer, writeTimeoutMillis: 300 }) as Handler))[0]!
    )
  }
  return { reference: median(reference), stalled300: median(stalled) }
}

const CHILD = fileURLToPath(new URL("../../packages/runtime/test/fixtures/sigterm/child.ts", import.meta.url))

/** Real milliseconds from SIGTERM to the child's death. */
const sigtermMillis = (args: ReadonlyArray<string>): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "ignore"] })
    let sent = 0
    child.stdout.on("data", (chunk: Buffer) => {
      if (sent === 0 && String(chunk).includes("ready")) {
        sent = now()
        child.kill("SIGTERM")
      }
    })
    child.on("error", reject)
    child.on("exit", (_code, signal) =>
      signal === "SIGTERM" ? resolve(now() - sent) : reject(new Error(`child ended with ${signal}`))
    )
  })

const sigterm = async () => {
  const untraced: Array<number> = []
  const traced: Array<number> = []
  const stalled: Array<number> = []
  for (let round = 0; round < ROUNDS; round++) {
    untraced.push(await sigtermMillis(["untraced"]))
    traced.push(await sigtermMillis(["traced"]))
    stalled.push(await sigtermMillis(["traced", "--stalled"]))
  }
  return { untraced: median(untraced), traced: median(traced), stalled: median(stalled) }
}

/** `executions` interleaved executions through one handler; misplaced = operation spans outside their execution's trace. */
const concurrent = async (executions: number) => {
  const { memory } = services()
  const handler = withDurableTracing(step, { backend: InMemory.layer(memory) })
  const write = process.stdout.write
  process.stdout.write = (() => true) as typeof process.stdout.write
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  const start = now()
  try {
    await Promise.all(
      Array.from({ length: executions }, (_, i) =>
        new LocalDurableTestRunner({ handlerFunction: handler as never }).run({ payload: { i } })
      )
    )
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
    process.stdout.write = write
  }
  const millis = now() - start
  const spans = memory.spans()
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  let misplaced = 0
  for (const span of spans.filter((s) => s.name === "aws.durable.step")) {
    const parent = span.parentId === undefined ? undefined : byId.get(span.parentId)
    if (parent?.name !== "aws.durable.execute" || parent.traceId !== span.traceId) misplaced++
  }
  return { executions, millis, misplaced }
}

export const run = async (): Promise<BoundsResult> => ({
  write: await writeBound(),
  flush: await flushBound(),
  sigterm: await sigterm(),
  concurrency: [await concurrent(8), await concurrent(32), await concurrent(64)]
})

const ms = (value: number): string => `${value.toFixed(0)} ms`

export const report = (result: BoundsResult): string =>
  [
    `Medians of ${ROUNDS} rounds, real time (the tests assert the same bounds on a clock they control).`,
    "",
    "| bound | figure |",
    "| --- | --- |",
    `| suspending invocation, write answered | ${ms(result.write.reference)} |`,
    `| suspending invocation, write hangs, bound 300 ms | ${ms(result.write.hung300)} |`,
    `| suspending invocation, write hangs, 700 ms left, margin 500 ms | ${ms(result.write.left700)} |`,
    `| invocation, exporter flushes at once | ${ms(result.flush.reference)} |`,
    `| invocation, flush never settles, bound 300 ms | ${ms(result.flush.stalled300)} |`,
    `| SIGTERM to death by SIGTERM, untraced | ${ms(result.sigterm.untraced)} |`,
    `| SIGTERM to death by SIGTERM, traced | ${ms(result.sigterm.traced)} |`,
    `| SIGTERM to death by SIGTERM, traced, flush never settles | ${ms(result.sigterm.stalled)} |`,
    ...result.concurrency.map(
      (c) =>
        `| ${c.executions} interleaved executions, one handler: wall time, step spans misplaced | ${ms(c.millis)}, ${c.misplaced} |`
    )
  ].join("\n")

if (import.meta.main) {
  const result = await run()
  console.log(report(result))
}
