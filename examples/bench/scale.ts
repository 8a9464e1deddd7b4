/**
 * Benchmark 7, the whole wrapper at scale (issue 12 item 7): one invocation on one event of N operations, through
 * the SDK's untraced `withDurableExecution` and through `withDurableTracing` with the in-memory backend, at 10,
 * 1,000, 10,000, 100,000 and 1,000,000 operations. The event holds N-1 completed STEPs (`makeScaleEvent`);
 * the handler replays the first ten, runs one new step and returns; the client is a fake that answers every checkpoint at once, so only
 * CPU and heap are measured. Each variant and size runs in a fresh process (`scale.ts child <variant> <size>`),
 * variants alternating, so one's heap never weighs on the other's; a child reports the median invocation time, its
 * main-thread CPU, the heap and RSS when the invocation returns (garbage included) and the heap retained after a
 * full GC.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { formatNumber, table } from "./measure.ts"

export const SCALE_SIZES = [10, 1_000, 10_000, 100_000, 1_000_000] as const
const VARIANTS = ["untraced", "traced"] as const
type Variant = (typeof VARIANTS)[number]

/** One child's figures. */
export interface ScaleSample {
  readonly millis: number
  readonly cpuMillis: number
  /** Retained after the invocation and a full GC. */
  readonly heapMB: number
  /** Heap used when the invocation returns, before any collection: its garbage included. */
  readonly endHeapMB: number
  /** The process's RSS when the invocation returns (a child's `maxRSS` counts the parent's at fork). */
  readonly rssMB: number
}

export interface ScaleResult {
  readonly size: number
  readonly untraced: ScaleSample
  readonly traced: ScaleSample
}

const roundsFor = (size: number): number => (size >= 1_000_000 ? 1 : size >= 100_000 ? 3 : size >= 10_000 ? 5 : 15)

const runChild = (variant: Variant, size: number): Promise<ScaleSample> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--max-old-space-size=4096", fileURLToPath(import.meta.url), "child", variant, String(size)],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout.on("data", (chunk) => {
      out += chunk
    })
    child.on("error", reject)
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("SCALE "))
      if (code !== 0 || line === undefined) reject(new Error(`scale ${variant} ${size}: exit ${code}\n${out}`))
      else resolve(JSON.parse(line.slice(6)) as ScaleSample)
    })
  })

export const run = async (sizes: ReadonlyArray<number> = SCALE_SIZES): Promise<ReadonlyArray<ScaleResult>> => {
  const results: Array<ScaleResult> = []
  for (const size of sizes) {
    // Untraced first at one size, traced first at the next: drift in the machine's load hits both.
    const order = results.length % 2 === 0 ? VARIANTS : ([...VARIANTS].reverse() as Array<Variant>)
    const samples = {} as Record<Variant, ScaleSample>
    for (const variant of order) samples[variant] = await runChild(variant, size)
    results.push({ size, untraced: samples.untraced, traced: samples.traced })
  }
  return results
}

const percent = (ours: number, base: number): string =>
  `${ours >= base ? "+" : ""}${(((ours - base) / base) * 100).toFixed(1)}%`

/** The markdown section. */
export const report = (results: ReadonlyArray<ScaleResult>): string =>
  table(
    [
      "operations",
      "untraced ms",
      "traced ms",
      "over untraced",
      "ns / operation over",
      "untraced CPU ms",
      "traced CPU ms",
      "heap at return MB untraced / traced (over)",
      "retained heap MB untraced / traced",
      "RSS at return MB untraced / traced"
    ],
    results.map(({ size, untraced, traced }) => [
      size.toLocaleString("en-US"),
      formatNumber(untraced.millis),
      formatNumber(traced.millis),
      `${formatNumber(traced.millis - untraced.millis)} ms (${percent(traced.millis, untraced.millis)})`,
      formatNumber(((traced.millis - untraced.millis) * 1e6) / size),
      formatNumber(untraced.cpuMillis),
      formatNumber(traced.cpuMillis),
      `${formatNumber(untraced.endHeapMB)} / ${formatNumber(traced.endHeapMB)} (${percent(traced.endHeapMB, untraced.endHeapMB)})`,
      `${formatNumber(untraced.heapMB)} / ${formatNumber(traced.heapMB)}`,
      `${formatNumber(untraced.rssMB)} / ${formatNumber(traced.rssMB)}`
    ])
  )

/** The fraction `traced` adds over `untraced`, time and heap at return, for the targets. */
export const overheads = (result: ScaleResult) => ({
  time: (result.traced.millis - result.untraced.millis) / result.untraced.millis,
  memory: (result.traced.endHeapMB - result.untraced.endHeapMB) / result.untraced.endHeapMB
})

const child = async (variant: Variant, size: number): Promise<void> => {
  const { withDurableExecution } = await import("@aws/durable-execution-sdk-js")
  const { withDurableTracing } = await import("@durable-trace/runtime/withDurableTracing")
  const InMemory = await import("@durable-trace/adapters/InMemory")
  const { makeScaleEvent, REPLAYED_STEPS } = await import("./events.ts")
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
  let executed = 0
  const handler = async (
    _event: unknown,
    context: { step: (name: string, f: () => Promise<unknown>) => Promise<unknown> }
  ) => {
    for (let i = 1; i < Math.min(size, REPLAYED_STEPS + 1); i++)
      await context.step(`reserve-${i}`, async () => {
        executed++
        return i
      })
    await context.step("ship", async () => {
      executed++
      return "shipped"
    })
    return "done"
  }
  const client = {
    checkpoint: async () => ({ CheckpointToken: "next-token", NewExecutionState: { Operations: [] } }),
    getExecutionState: async () => ({ Operations: [] })
  }
  const wrapped =
    variant === "untraced"
      ? withDurableExecution(handler as never, { durableExecutionClient: client as never })
      : withDurableTracing(handler as never, {
          backend: InMemory.layer(),
          sdk: { durableExecutionClient: client as never }
        })
  const lambdaContext = {
    awsRequestId: "scale",
    functionName: "orders",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:orders",
    getRemainingTimeInMillis: () => 900_000
  }
  const times: Array<number> = []
  const cpus: Array<number> = []
  let heapMB = 0
  let endHeapMB = 0
  let rssMB = 0
  const rounds = roundsFor(size)
  for (let round = 0; round < rounds + 1; round++) {
    const event = makeScaleEvent(size)
    executed = 0
    gc()
    const cpu = process.cpuUsage()
    const start = performance.now()
    const output = (await wrapped(event as never, lambdaContext as never)) as { Status?: string }
    const elapsed = performance.now() - start
    const used = process.cpuUsage(cpu)
    // Before any collection: what the invocation left on the heap and in memory, garbage included.
    const after = process.memoryUsage()
    if (output.Status !== "SUCCEEDED" || executed !== 1) {
      throw new Error(`scale ${variant} ${size}: ${JSON.stringify(output).slice(0, 300)}, ${executed} steps executed`)
    }
    // Round 0 warms the JIT and the wrapper's one-time set-up (the backend, the SDK's modules).
    if (round > 0 || rounds === 1) {
      times.push(elapsed)
      cpus.push((used.user + used.system) / 1000)
      endHeapMB = Math.max(endHeapMB, after.heapUsed / 2 ** 20)
      rssMB = Math.max(rssMB, after.rss / 2 ** 20)
    }
    gc()
    heapMB = Math.max(heapMB, process.memoryUsage().heapUsed / 2 ** 20)
  }
  const median = (values: Array<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const sample: ScaleSample = {
    millis: median(times),
    cpuMillis: median(cpus),
    heapMB,
    endHeapMB,
    rssMB
  }
  process.stdout.write(`SCALE ${JSON.stringify(sample)}\n`)
  process.exit(0)
}

if (process.argv[2] === "child") {
  const muted = process.stdout.write.bind(process.stdout)
  // The SDK and the in-memory backend log; only the SCALE line goes out.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<never>) =>
    typeof chunk === "string" && chunk.startsWith("SCALE ")
      ? muted(chunk, ...rest)
      : true) as typeof process.stdout.write
  await child(process.argv[3] as Variant, Number(process.argv[4]))
}
