/**
 * The live-inspect fixtures stay what the local runner and our writer produce: captures the OpenTelemetry set
 * again and checks each fresh execution gets the verdict its committed fixture is labelled with (the dd-trace set
 * is captured by the same code; its agent client cannot run under the runner's fake timers inside vitest, issue 14
 * item 16). Refresh with `node packages/runtime/test/fixtures/inspect/capture-live.ts otel` (and `ddtrace`).
 */
import { readFileSync } from "node:fs"
import * as ExecutionHistory from "@durable-trace/core/ExecutionHistory"
import { assert, describe, it } from "@effect/vitest"
import { type CapturedExecution, captureLive, LIVE_FIXTURES } from "./fixtures/inspect/capture-live.ts"

// Checked against the ARN the writer was handed: checkpoint ids hash it, and no other execution's pass (SPEC §3.3a).
const verdicts = (executions: ReadonlyArray<CapturedExecution>) =>
  executions.map((e) => [e.label, ExecutionHistory.analyse(e.executionArn, e.history, e.status as never).verdict._tag])

const committed = (backend: keyof typeof LIVE_FIXTURES): ReadonlyArray<CapturedExecution> =>
  JSON.parse(readFileSync(new URL(`./fixtures/inspect/${LIVE_FIXTURES[backend]}`, import.meta.url), "utf8"))

describe("live-inspect fixtures", () => {
  it("every committed execution, both backends, gets the verdict it is labelled with", () => {
    for (const backend of ["ddtrace", "otel"] as const) {
      assert.deepStrictEqual(
        verdicts(committed(backend)),
        committed(backend).map((e) => [e.label, e.expected]),
        backend
      )
    }
  })

  it("a fresh OpenTelemetry capture gets the verdicts the committed fixtures are labelled with", {
    timeout: 120_000
  }, async () => {
    const labelled = committed("otel").map((e) => [e.label, e.expected])
    assert.deepStrictEqual(verdicts(await captureLive("otel")), labelled)
  })
})
