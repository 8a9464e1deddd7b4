import { assert, describe, it } from "@effect/vitest"
import { parseCli } from "../src/demo/cli.ts"
import { type DemoSpan, ddSpanLinks } from "../src/demo/collect.ts"
import { formatDuration, invocationsOf, tree, waterfall } from "../src/demo/render.ts"
import { SPANS } from "./spans.fixture.ts"

const DAY = 86_400_000

describe("demo rendering", () => {
  it("assigns each span to its nearest aws.lambda, numbered by start", () => {
    const invocation = invocationsOf(SPANS)
    assert.deepStrictEqual(
      SPANS.filter((s) => s.traceId === SPANS[0]!.traceId).map((s) => invocation.get(s.spanId)),
      [1, 1, 1, 1, 2, 2, 2]
    )
  })

  it("formats durations from sub-millisecond to days", () => {
    assert.deepStrictEqual(
      [0.5, 12, 4_500, 300_000, 7_200_000, DAY - 60_000, DAY + 50, 1.5 * DAY].map(formatDuration),
      ["0.50ms", "12ms", "4.5s", "5 min", "2.0 h", "1 day", "1 day", "1.5 days"]
    )
  })

  it("draws the resumed invocation under the span it continues", () => {
    const lines = tree(SPANS).split("\n")
    assert.match(lines.find((l) => l.includes("[invocation 2]"))!, /^ {6}└─ aws.lambda /)
  })

  it("labels the idle day with its real length, once per gap", () => {
    const page = waterfall(SPANS, "t")
    assert.deepStrictEqual(
      [...page.matchAll(/class="gap" data-duration-ms="[\d.]+" data-label="([^"]+)"/g)].map((m) => m[1]),
      ["1 day", "1 day"]
    )
  })

  it("draws one bar per span, with its parent, kind and operation id for the page's script", () => {
    const page = waterfall(SPANS, "t")
    const bars = [...page.matchAll(/<g class="bar[^"]*" data-span-id="([^"]+)"/g)].map((m) => m[1])
    assert.deepStrictEqual(bars.sort(), SPANS.map((s) => s.spanId).sort())
    assert.include(page, 'data-span-id="wait" data-trace-id')
    assert.match(
      page,
      /data-span-id="wait"[^>]*data-parent-id="e1"[^>]*data-kind="operation"[^>]*data-operation-id="op-wait"/
    )
    assert.include(page, 'class="link" data-from="l3" data-to="e1" data-role="anchor"')
    assert.include(page, "3 traces")
  })

  it("escapes span data embedded in the page", () => {
    const evil: DemoSpan = { ...SPANS[0]!, spanId: "x", name: "</script><b>", tags: { note: "</script>" } }
    const page = waterfall([evil], "t")
    assert.notInclude(page, "</script><b>")
  })
})

describe("span links from dd-trace's log exporter", () => {
  it("reads _dd.span_links (hex ids, the link's role)", () => {
    assert.deepStrictEqual(
      ddSpanLinks('[{"trace_id":"abc","span_id":"12","attributes":{"durable.link.role":"previous"},"flags":1}]'),
      [{ traceId: `${"0".repeat(29)}abc`, spanId: `${"0".repeat(14)}12`, role: "previous" }]
    )
    assert.deepStrictEqual(ddSpanLinks(undefined), [])
    assert.deepStrictEqual(ddSpanLinks("[{trunc..."), [])
  })
})

describe("pnpm demo's command line", () => {
  const out = "/tmp/x.html"
  it("takes a backend, a mode and a page; --help", () => {
    assert.deepStrictEqual(parseCli([], out), { _tag: "Run", backend: "dd-trace", mode: "continuous", out })
    assert.deepStrictEqual(parseCli(["--backend", "opentelemetry", "--mode", "linked", "--out", "a.html"], out), {
      _tag: "Run",
      backend: "otel",
      mode: "linked",
      out: "a.html"
    })
    assert.deepStrictEqual(parseCli(["--help"], out), { _tag: "Help" })
  })
  const invalid = {
    unknownOption: [["--bogus"], /Unknown option '--bogus'/],
    unknownBackend: [["--backend", "zipkin"], /^--backend zipkin: expected dd-trace or otel$/],
    unknownMode: [["--mode", "split"], /^--mode split: expected continuous or linked$/],
    missingValue: [["--backend"], /--backend/],
    positional: [["otel"], /otel/]
  } as const
  for (const [name, [args, message]] of Object.entries(invalid)) {
    it(`rejects in one line: ${name}`, () => {
      const cli = parseCli(args, out)
      assert.strictEqual(cli._tag, "Invalid", name)
      if (cli._tag === "Invalid") {
        assert.match(cli.message, message, name)
        assert.notInclude(cli.message, "\n", name)
      }
    })
  }
})
