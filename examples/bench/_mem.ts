// scratch: in-memory vs untraced, CPU per execution (not committed)
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { withDurableTracing } from "@durable-trace/runtime/withDurableTracing"
import { gc } from "./measure.ts"
import { tracer, withTraceExportMuted } from "./tracer.ts"
import { orderWorkflow, runOrder } from "./workflow.ts"

const memory = InMemory.make()
const which = process.argv[2] ?? "mem"
const traced =
  which === "dd"
    ? withDurableTracing(orderWorkflow(), { backend: DdTrace.layer(tracer) })
    : withDurableTracing(orderWorkflow(), { backend: InMemory.layer(memory) })
const untraced = withDurableExecution(orderWorkflow())
const N = Number(process.argv[3] ?? 40)
await withTraceExportMuted(async () => {
  const cpu: Record<string, number[]> = { u: [], t: [] }
  let i = 0
  for (let r = 0; r < N; r++) {
    for (const [k, h] of [
      ["u", untraced],
      ["t", traced]
    ] as const) {
      gc()
      const before = process.threadCpuUsage()
      const e = await runOrder(h, `o-${++i}`)
      const c = process.threadCpuUsage(before)
      memory.reset()
      if (e.status !== "SUCCEEDED") throw new Error(e.status)
      if (r >= 5) cpu[k]!.push((c.user + c.system) / 1000)
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!
  console.log(
    which,
    "untraced",
    med(cpu.u!).toFixed(1),
    "traced",
    med(cpu.t!).toFixed(1),
    "overhead",
    (((med(cpu.t!) - med(cpu.u!)) / med(cpu.u!)) * 100).toFixed(1) + "%"
  )
})
