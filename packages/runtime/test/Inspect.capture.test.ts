/**
 * The inspect fixtures are still what the local runner and our writer produce: captures the same workflows
 * again and compares what `inspect` makes of them, leaving out what differs per run (execution ARN, and the
 * checkpoint ids derived from it) and each checkpoint's position in the operation list. If this fails after an intended change, refresh the fixtures with
 * `node packages/runtime/test/fixtures/inspect/capture.ts`.
 */

import { readFileSync } from "node:fs"
import * as Inspection from "@durable-trace/core/Inspection"
import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { capture, FIXTURES } from "./fixtures/inspect/capture.ts"

const fixture = (file: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/inspect/${file}`, import.meta.url), "utf8"))

/** What `inspect` says, minus the per-run execution ARN and the ids derived from it. */
const stable = (input: unknown) => {
  const report = Result.getOrThrow(Inspection.inspect(input))
  return {
    ...report,
    input: { ...report.input, executionArn: report.input.executionArn === undefined ? "none" : "some" },
    // Where the writer's operation lands among the SDK's own is the SDK's business, not what inspect reports on.
    checkpoints: report.checkpoints.map(({ id: _, index: __, ...rest }) => ({ ...rest })),
    next: { ...report.next, skipped: report.next.skipped.map(({ id: _, ...rest }) => ({ ...rest })) },
    anchor:
      report.anchor === undefined ? undefined : { ...report.anchor, disagreeing: report.anchor.disagreeing.length }
  }
}

describe("inspect fixtures", () => {
  it("match a fresh capture from the local runner", { timeout: 60_000 }, async () => {
    const { resumed, changed } = await capture()
    assert.strictEqual(resumed.events.length, 2, "step, wait, step: two invocations")
    assert.strictEqual(changed.events.length, 3, "steady state: three invocations")
    const pairs: ReadonlyArray<readonly [string, unknown]> = [
      [FIXTURES.first, resumed.events[0]],
      [FIXTURES.resumed, resumed.events[1]],
      [FIXTURES.changed, changed.events[2]],
      [FIXTURES.operations, changed.operations]
    ]
    for (const [file, live] of pairs) assert.deepStrictEqual(stable(live), stable(fixture(file)), file)
  })
})
