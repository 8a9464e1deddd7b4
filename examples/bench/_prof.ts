import { tracer } from "./tracer.ts"
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as Headers from "@durable-trace/core/Headers"
import * as Reader from "@durable-trace/core/Reader"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { EXECUTION_ARN, makeEvent } from "./events.ts"
const size = Number(process.argv[2] ?? 10)
const payload = () => { const c: Record<string, string> = {}; tracer.inject(tracer.startSpan("x"), "text_map", c); return JSON.stringify(Option.getOrThrow(Headers.fromCarrier(c))) }
const event = makeEvent(size, [payload(), payload()])
const runtime = ManagedRuntime.make(Layer.mergeAll(DdTrace.make(tracer), CheckpointStore.layerTest()))
await runtime.context()
const effect = () => runtime.runSync(Effect.flatMap(CheckpointLog.make(event, EXECUTION_ARN), (log) => Reader.read(event, undefined, { log })))
const n = Number(process.argv[3] ?? 200000)
for (let i = 0; i < 20000; i++) effect()
const s = performance.now(); for (let i = 0; i < n; i++) effect(); console.log(size, ((performance.now() - s) * 1000 / n).toFixed(2), "µs effect")
process.exit(0)
