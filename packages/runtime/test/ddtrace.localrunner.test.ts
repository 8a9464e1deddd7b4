/**
 * dd-trace as a developer runs it on the local runner, with its defaults and no agent (issue 14 item 16): the
 * first counted failure used to kill the process (`connect ECONNREFUSED 127.0.0.1:8126`, an unhandled `'error'`
 * event: the end-of-invocation DogStatsD flush, under the runner's fake `process.nextTick`). A spawned process
 * (`fixtures/ddtrace-metrics/child.ts`), not in Lambda, counts a failure on every invocation and must finish.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const CHILD = fileURLToPath(new URL("./fixtures/ddtrace-metrics/child.ts", import.meta.url))

describe("dd-trace with no agent, on the local runner", () => {
  it("a counted failure does not kill the process", () => {
    const env: Record<string, string | undefined> = { ...process.env }
    // As on a developer's machine: not in Lambda, no log exporter, dd-trace's default agent address.
    delete env.AWS_LAMBDA_FUNCTION_NAME
    delete env.DD_TRACE_EXPERIMENTAL_EXPORTER
    const child = spawnSync(process.execPath, [CHILD], { env, encoding: "utf8", timeout: 60_000 })
    assert.strictEqual(child.stderr.includes("ECONNREFUSED") ? "ECONNREFUSED" : "", "", child.stderr.slice(0, 400))
    assert.deepStrictEqual([child.status, child.signal], [0, null])
    assert.include(child.stdout, "done SUCCEEDED 2")
  })
})
