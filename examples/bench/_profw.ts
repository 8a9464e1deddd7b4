import { tracer } from "./tracer.ts"
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as Writer from "@durable-trace/core/Writer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { EXECUTION_ARN, makeEvent } from "./events.ts"
const size = Number(process.argv[2] ?? 10)
const scenario = process.argv[3] ?? "unchanged"
const store = CheckpointStore.of({ page: () => Effect.die("x"), write: () => Effect.void })
const runtime = ManagedRuntime.make(Layer.mergeAll(DdTrace.make(tracer), Layer.succeed(CheckpointStore, store)))
await runtime.context()
const save = (event: unknown, span: unknown) => runtime.runSync(Effect.flatMap(CheckpointLog.make(event, EXECUTION_ARN), (log) => Writer.save({ log, executeSpan: span, timeout: process.env.NOTO ? undefined : "2 seconds" })))
const first = makeEvent(size)
const s0 = tracer.startSpan("aws.durable.execute")
const out = save(first, s0) as any
const payload = JSON.stringify(out.payload)
const resumed = makeEvent(size, [payload])
let span: any = tracer.startSpan("aws.durable.execute", { childOf: tracer.extract("text_map", JSON.parse(payload)) })
if (scenario === "changed") span.setTag("manual.keep", true)
const [event, sp] = scenario === "first" ? [first, s0] : [resumed, span]
console.log((save(event, sp) as any)._tag)
const n = Number(process.argv[4] ?? 100000)
for (let i = 0; i < 20000; i++) save(event, sp)
const s = performance.now(); for (let i = 0; i < n; i++) save(event, sp); console.log(size, scenario, ((performance.now() - s) * 1000 / n).toFixed(2), "µs")
process.exit(0)
