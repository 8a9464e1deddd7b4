/**
 * Misconfigurations (issue 18) reported by the runtime: once per wrapped handler, at its first invocation, however
 * many follow, and never changing an outcome. The decisions are core's (`InvocationSpan.misconfigurations`); this
 * checks the runtime feeds it what it sees.
 */
import * as InMemory from "@durable-trace/adapters/InMemory"
import { assert, describe, it } from "@effect/vitest"
import { type WithDurableTracingOptions, withDurableTracing } from "../src/withDurableTracing.ts"
import { captureConsoleLog, runOnce } from "./support.ts"
import { WORKFLOWS } from "./workflows.ts"

const steady = WORKFLOWS.find((w) => w.name === "steady state: suspends twice")!

const run = async (options: Omit<WithDurableTracingOptions, "backend">) => {
  const memory = InMemory.make()
  const handler = withDurableTracing(steady.make({}), { backend: InMemory.layer(memory), ...options })
  const { result, logged } = await captureConsoleLog(() => runOnce(handler, steady))
  return { result, spans: memory.spans(), warnings: logged.filter((line) => line.includes("durable-trace: ")) }
}

describe("misconfiguration warnings", () => {
  it("a correct standalone setup warns about nothing", async () => {
    const { result, warnings } = await run({})
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.deepStrictEqual(warnings, [])
  })

  it("'outer' without an outer wrapper: durable-trace still opens aws.lambda, and says so once", async () => {
    const { result, spans, warnings } = await run({ invocationSpan: "outer" })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const invocations = result.getInvocations().length
    assert.isAtLeast(invocations, 3)
    assert.strictEqual(spans.filter((s) => s.name === "aws.lambda").length, invocations, "never without one")
    assert.strictEqual(warnings.length, 1)
    assert.include(warnings[0], "'outer'")
  })

  it("durable-trace's plugin in DURABLE_EXECUTION_PLUGINS too: reported once, same outcome", async () => {
    process.env.DURABLE_EXECUTION_PLUGINS = "@durable-trace/runtime/PluginProvider"
    try {
      const { result, warnings } = await run({})
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], "DURABLE_EXECUTION_PLUGINS")
      delete process.env.DURABLE_EXECUTION_PLUGINS
      const plain = await run({})
      assert.deepStrictEqual(plain.warnings, [])
      assert.deepStrictEqual(result.getResult(), plain.result.getResult(), "the outcome is the same")
    } finally {
      delete process.env.DURABLE_EXECUTION_PLUGINS
    }
  })
})
