/**
 * The demo as a user runs it (`pnpm demo`, `--backend otel`): a child process on the workspace's Node, which
 * must exit 0, report one trace across several invocations, and write the waterfall page.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"

const run = promisify(execFile)
const node = process.execPath
const main = new URL("../src/demo/main.ts", import.meta.url).pathname

describe("pnpm demo", () => {
  for (const backend of ["dd-trace", "otel"]) {
    it(`--backend ${backend}: one trace across the order's invocations, and a waterfall page`, async () => {
      const out = join(mkdtempSync(join(tmpdir(), "demo-")), "trace.html")
      const { stdout } = await run(node, [main, "--backend", backend, "--out", out], { timeout: 60_000 })
      assert.match(stdout, /execution: SUCCEEDED/)
      assert.match(stdout, /4 invocations over .*, 1 trace\n/)
      assert.match(stdout, /invocation 1 {2}PENDING {3}read: nothing; starts a new trace/)
      assert.match(stdout, /wrote: _datadog_0 early, inside the SDK's first checkpoint batch \(anchor [0-9a-f]{16}/)
      assert.match(stdout, /invocation 2 {2}PENDING {3}read: checkpoint _datadog_0/)
      assert.match(stdout, /\[invocation 4\]/)
      assert.match(stdout, /dd\.trace_id=\d+ dd\.span_id=\d+/)
      const page = readFileSync(out, "utf8")
      assert.include(page, "One trace")
      assert.include(page, "invocation 4")
      // 25 spans: per invocation aws.lambda + execute, the operations once each, their attempts, suspend markers
      // and the execution span (SPEC §5.2).
      assert.strictEqual(page.match(/<rect [^>]*rx="2"/g)?.length, 25, "one bar per span")
    })
  }
})
