/**
 * The demo as a user runs it (`pnpm demo`, `--backend otel`, `--mode linked`): a child process on the workspace's
 * Node, which must exit 0, report its traces across the order's invocations and write the waterfall page; the
 * page is then opened in headless Chromium and its geometry read from the DOM (the acceptance test of issue 13
 * item 8: no child bar left of its parent's, each durable operation drawn once, the one-day wait labelled so).
 * No retry: the skipped time comes from the service's history, not from the runner's fake clock, whose jumps
 * depend on whether a fake timer happens to be pending.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { assert, describe, it } from "@effect/vitest"
import { chromiumFound, drawnBars, drawnTwice, leftOfParent, MISSING, withPage } from "./browser.ts"

const run = promisify(execFile)
const node = process.execPath
const main = new URL("../src/demo/main.ts", import.meta.url).pathname
const inCi = process.env.CI === "true"

const demo = async (args: ReadonlyArray<string>) => {
  const out = join(mkdtempSync(join(tmpdir(), "demo-")), "trace.html")
  const { stdout } = await run(node, [main, ...args, "--out", out], { timeout: 60_000 })
  return { stdout, out, page: readFileSync(out, "utf8") }
}

const checkPicture = async (out: string) => {
  if (!chromiumFound && !inCi) return console.warn(`demo picture not checked in a browser: ${MISSING}`)
  await withPage(out, async (page) => {
    const bars = await drawnBars(page)
    const problems = [...leftOfParent(bars), ...drawnTwice(bars)]
    assert.deepStrictEqual(problems, [], `the picture tells the truth: ${problems.join("; ")}`)
    const gaps = await page.$$eval("g.gap text.gap-label", (texts) => texts.map((t) => t.textContent))
    assert.include(gaps, "5 min", "the retry delay")
    assert.include(gaps, "1 day", "the cooling-off wait")
  })
}

describe("pnpm demo", () => {
  for (const backend of ["dd-trace", "otel"]) {
    it(`--backend ${backend}: one trace across the order's invocations, and a waterfall page that tells the truth`, async () => {
      const { stdout, out, page } = await demo(["--backend", backend])
      assert.match(stdout, /execution: SUCCEEDED/)
      assert.match(stdout, /(\d+) spans, 4 invocations over 1 day, 1 trace\n/)
      assert.match(stdout, /invocation 1 {2}PENDING {3}read: nothing; starts a new trace/)
      assert.match(stdout, /wrote: _datadog_0 early, inside the SDK's first checkpoint batch \(anchor [0-9a-f]{16}/)
      assert.match(stdout, /invocation 2 {2}PENDING {3}read: checkpoint _datadog_0/)
      assert.match(stdout, /\[invocation 4\]/)
      assert.match(stdout, /dd\.trace_id=\d+ dd\.span_id=\d+/)
      const spans = Number(/(\d+) spans, /.exec(stdout)![1])
      assert.include(page, "One trace")
      assert.strictEqual(page.match(/<g class="bar/g)?.length, spans, "one bar per span")
      await checkPicture(out)
    })

    it(`--backend ${backend} --mode linked: one trace per invocation, joined by links`, async () => {
      const { stdout, out, page } = await demo(["--backend", backend, "--mode", "linked"])
      assert.match(stdout, /execution: SUCCEEDED/)
      assert.match(stdout, /4 invocations over 1 day, 4 traces\n/)
      assert.include(page, "4 traces (linked mode)")
      assert.isAtLeast(page.match(/<path class="link"/g)?.length ?? 0, 3, "each resumed invocation links back")
      await checkPicture(out)
    })
  }

  it("--help prints the usage; an unknown option or backend is one line on stderr and exit code 2", async () => {
    const help = await run(node, [main, "--help"])
    assert.match(help.stdout, /^Usage: pnpm demo \[--backend dd-trace\|otel\] \[--mode continuous\|linked\]/)
    for (const args of [["--bogus"], ["--backend", "zipkin"], ["--mode", "split"]]) {
      const failed = await run(node, [main, ...args]).then(
        () => assert.fail(`${args.join(" ")} should fail`),
        (error: { code: number; stdout: string; stderr: string }) => error
      )
      assert.strictEqual(failed.code, 2, args.join(" "))
      assert.strictEqual(failed.stdout, "", args.join(" "))
      assert.match(failed.stderr, /^pnpm demo: [^\n]+\n$/, args.join(" "))
    }
  })
})
