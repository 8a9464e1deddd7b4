import { tracer } from "./tracer.ts"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as Headers from "@durable-trace/core/Headers"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import { blake2bHex } from "@durable-trace/core/Blake2b"
import * as Option from "effect/Option"
import { EXECUTION_ARN, makeEvent } from "./events.ts"
const carrier: Record<string, string> = {}
tracer.inject(tracer.startSpan("x"), "text_map", carrier)
const payload = JSON.stringify(Option.getOrThrow(Headers.fromCarrier(carrier)))
const event = makeEvent(10, [payload, payload])
const t = (name: string, f: () => unknown, n = 20000) => {
  for (let i = 0; i < n; i++) f()
  const s = performance.now(); for (let i = 0; i < n; i++) f(); console.log(name, ((performance.now() - s) * 1000 / n).toFixed(2), "µs")
}
t("blake2b16", () => blake2bHex(`_datadog_1:${EXECUTION_ARN}`, 16))
t("fromCarrier(json)", () => Headers.fromCarrier(payload))
t("scan", () => Checkpoint.scan(DurableEvent.initialOperations(event), EXECUTION_ARN))
const h = Option.getOrThrow(Headers.fromCarrier(payload))
t("extract", () => tracer.extract("text_map", { ...h }))
t("inject", () => { const c = {}; tracer.inject(tracer.startSpan("x"), "text_map", c); return c })
