/**
 * The waterfall page in headless Chromium, on constructed spans shaped as the plugin means them (one span per
 * operation, the day-long wait under the anchor, a linked invocation): geometry read from the DOM, the gap
 * labels, and clicking a bar for its tags, error and links.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { waterfall } from "../src/demo/render.ts"
import { chromiumFound, drawnBars, drawnTwice, leftOfParent, MISSING, withPage } from "./browser.ts"
import { SPANS } from "./spans.fixture.ts"

const inCi = process.env.CI === "true"
if (!chromiumFound && !inCi) console.warn(`waterfall browser tests skipped: ${MISSING}`)
const browserIt = chromiumFound || inCi ? it : it.skip

const page = join(mkdtempSync(join(tmpdir(), "waterfall-")), "trace.html")
writeFileSync(page, waterfall(SPANS, "constructed", { mode: "linked" }))

describe("the waterfall in Chromium", () => {
  browserIt("draws each span once, no child left of its parent, the idle days labelled", async () => {
    await withPage(page, async (p) => {
      const bars = await drawnBars(p)
      assert.deepStrictEqual(bars.map((b) => b.spanId).sort(), SPANS.map((s) => s.spanId).sort())
      assert.deepStrictEqual(leftOfParent(bars), [])
      assert.deepStrictEqual(drawnTwice(bars), [])
      const wait = bars.find((b) => b.spanId === "wait")!
      const resumed = bars.find((b) => b.spanId === "l2")!
      assert.isAbove(wait.right, resumed.left, "the wait reaches into the invocation that saw it complete")
      const gaps = await p.$$eval("g.gap text.gap-label", (texts) => texts.map((t) => t.textContent))
      assert.deepStrictEqual(gaps, ["1 day", "1 day"])
      // Invocations at one scale: l1 lasts 50 ms, l2 40 ms.
      const l1 = bars.find((b) => b.spanId === "l1")!
      assert.closeTo((resumed.right - resumed.left) / (l1.right - l1.left), 40 / 50, 0.02)
      assert.isAtLeast(await p.locator(".legend span").count(), 8)
    })
  })

  browserIt("clicking a bar shows its tags and error; a link leads to its target", async () => {
    await withPage(page, async (p) => {
      assert.isFalse(await p.locator("#details").isVisible())
      await p.locator('g.bar[data-span-id="s2"] rect.extent').click({ force: true })
      const details = p.locator("#details")
      assert.isTrue(await details.isVisible())
      const text = (await details.textContent()) ?? ""
      assert.include(text, "aws.durable.step ship")
      assert.include(text, "error: carrier down")
      assert.include(text, "op-ship")
      await p.locator('g.bar[data-span-id="l3"] rect.extent').click({ force: true })
      assert.include((await details.textContent()) ?? "", "anchor → span e1")
      await p.locator('#details [data-goto="e1"]').click()
      assert.include((await details.textContent()) ?? "", "aws.durable.execute orderWorkflow")
      assert.strictEqual(await p.locator("path.link").count(), 2)
    })
  })
})
