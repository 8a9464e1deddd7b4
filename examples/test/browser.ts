/**
 * Headless Chromium for the waterfall's tests, driven by playwright-core: the Debian `chromium` at
 * /usr/bin/chromium (or `CHROMIUM`), a fresh profile per launch, no network chatter. Where it is missing the
 * tests skip locally and fail in CI (`CI=true`, `.ci/run` installs it), saying so.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { chromium, type Page } from "playwright-core"

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium"
export const chromiumFound = existsSync(CHROMIUM)
export const MISSING = `headless Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM`

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** Opens `file` in a fresh headless Chromium, runs `use` on the page, and closes everything. */
export const withPage = async <A>(file: string, use: (page: Page) => Promise<A>): Promise<A> => {
  if (!chromiumFound) throw new Error(MISSING)
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1600, height: 1000 }
  })
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    await page.goto(pathToFileURL(file).href)
    return await use(page)
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

/** A bar as the browser laid it out. */
export interface DrawnBar {
  readonly spanId: string
  /** The row's label: span name and resource. */
  readonly name: string
  readonly parentId: string | null
  readonly operationId: string | null
  readonly kind: string
  readonly left: number
  readonly right: number
}

/** Every bar's geometry, read from the DOM (the `.extent` rect: the bar's own start and end). */
export const drawnBars = (page: Page): Promise<Array<DrawnBar>> =>
  page.$$eval("g.bar", (groups) =>
    groups.map((g) => {
      const box = g.querySelector("rect.extent")!.getBoundingClientRect()
      return {
        spanId: g.getAttribute("data-span-id")!,
        name: g.querySelector("text.name")?.textContent ?? "",
        parentId: g.getAttribute("data-parent-id"),
        operationId: g.getAttribute("data-operation-id"),
        kind: g.getAttribute("data-kind")!,
        left: box.left,
        right: box.right
      }
    })
  )

/** Children drawn left of their parent (half a pixel of rounding allowed), as `child < parent` lines. */
export const leftOfParent = (bars: ReadonlyArray<DrawnBar>): Array<string> => {
  const byId = new Map(bars.map((bar) => [bar.spanId, bar]))
  return bars.flatMap((bar) => {
    const parent = bar.parentId === null ? undefined : byId.get(bar.parentId)
    return parent !== undefined && bar.left < parent.left - 0.5
      ? [`${bar.name} starts ${(parent.left - bar.left).toFixed(1)} px left of its parent ${parent.name}`]
      : []
  })
}

/** Durable operations drawn more than once: operation bars (not attempts or suspend markers) per operation id. */
export const drawnTwice = (bars: ReadonlyArray<DrawnBar>): Array<string> => {
  const drawn = new Map<string, Array<string>>()
  for (const bar of bars) {
    if (bar.operationId === null || bar.kind !== "operation") continue
    drawn.set(bar.operationId, [...(drawn.get(bar.operationId) ?? []), bar.name])
  }
  return [...drawn]
    .filter(([, names]) => names.length > 1)
    .map(([id, names]) => `operation ${id} (${names[0]}) drawn ${names.length} times`)
}
