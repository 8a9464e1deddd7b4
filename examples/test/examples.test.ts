/**
 * Every example runs as a user would run it (`node examples/src/<example>.ts`) and keeps one trace across the
 * execution's invocations, writing its checkpoint.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"

const run = promisify(execFile)
const offlineDatadog = {
  DD_TRACE_EXPERIMENTAL_EXPORTER: "log",
  DD_REMOTE_CONFIGURATION_ENABLED: "false",
  DD_INSTRUMENTATION_TELEMETRY_ENABLED: "false",
  DD_TRACE_STARTUP_LOGS: "false",
  // As in Lambda: no agent client polling 127.0.0.1:8126, fatal under the runner's fake timers when refused.
  AWS_LAMBDA_FUNCTION_NAME: "durable-trace-example"
}

const example = async (name: string) => {
  const { stdout } = await run(process.execPath, [new URL(`../src/${name}.ts`, import.meta.url).pathname], {
    env: { ...process.env, ...offlineDatadog },
    timeout: 60_000
  })
  return stdout
}

describe("examples", () => {
  it("plain TypeScript with dd-trace", async () => {
    const out = await example("plain-ddtrace")
    assert.match(out, /status: SUCCEEDED\ninvocations: 2\ncheckpoints: _datadog_0/)
    // dd-trace's log exporter printed both invocations' spans into one trace.
    const traces = new Set(
      out
        .split("\n")
        .filter((line) => line.startsWith('{"traces":'))
        .flatMap((line) => (JSON.parse(line) as { traces: Array<Array<{ trace_id: string }>> }).traces.flat())
        .map((span) => span.trace_id)
    )
    assert.strictEqual(traces.size, 1)
  })

  it("the dd-trace example runs with no agent and no Lambda environment, as a user first tries it", async () => {
    const bare = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith("DD_") && key !== "AWS_LAMBDA_FUNCTION_NAME")
    )
    const { stdout } = await run(process.execPath, [new URL("../src/plain-ddtrace.ts", import.meta.url).pathname], {
      env: bare,
      timeout: 60_000
    })
    assert.match(stdout, /status: SUCCEEDED\ninvocations: 2\ncheckpoints: _datadog_0/)
  })

  it("OpenTelemetry", async () => {
    assert.match(
      await example("opentelemetry"),
      /status: SUCCEEDED\ninvocations: 2\ncheckpoints: _datadog_0(, _datadog_\d+)*\ntraces: 1/
    )
  })

  it("an Effect app with the Effect-native API", async () => {
    const out = await example("effect-app")
    // Suspends on the approval callback, the charge's retry delay and the pickup wait: one trace throughout.
    assert.match(out, /status: SUCCEEDED\ninvocations: (\d+)\ncheckpoints: _datadog_0(, _datadog_\d+)*\ntraces: 1/)
    assert.isAtLeast(Number(/invocations: (\d+)/.exec(out)?.[1]), 3)
    assert.match(out, /app spans: .*Inventory\.reserve.*Payments\.charge/)
    assert.match(out, /result: \{"reserved":\["sku-1","sku-7"\],"approvedBy":"dana",.*"charged":"129900"/)
  })
})
