/**
 * Plain TypeScript with dd-trace: wrap the durable handler with `withDurableTracing`. Every invocation of the
 * execution lands in one trace; checkpoints are written when the workflow suspends.
 * Run locally: `node examples/src/plain-ddtrace.ts` (no agent needed: see `localLambda.ts`).
 */
import "./localLambda.ts"
import { withDurableTracing } from "@durable-trace/runtime"
import * as DdTrace from "@durable-trace/runtime/DdTrace"
import tracer from "dd-trace"
import { runLocally } from "./runLocally.ts"

tracer.init() // in Lambda, usually the Datadog layer or NODE_OPTIONS="--import dd-trace/initialize.mjs" does this

interface Order {
  readonly orderId: string
}

export const handler = withDurableTracing(
  async (order: Order, context) => {
    const reservation = await context.step("reserve", async () => `res_${order.orderId}`)
    await context.wait("cool-off", { minutes: 10 })
    return context.step("ship", async () => ({ reservation, shipped: true }))
  },
  { backend: DdTrace.layer(tracer) }
)

if (import.meta.main) await runLocally(handler, { orderId: "o-1" })
