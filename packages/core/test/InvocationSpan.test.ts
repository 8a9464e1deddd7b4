import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as InvocationSpan from "../src/InvocationSpan.ts"

const ACTIVE: ReadonlyArray<InvocationSpan.ActiveSpan> = ["none", "ours", "foreign"]

const facts = (overrides: Partial<InvocationSpan.Facts> = {}): InvocationSpan.Facts => ({
  setting: "auto",
  active: "none",
  extractorRan: false,
  writeEnabled: true,
  durableExecutionPlugins: undefined,
  ...overrides
})

const tags = (found: ReadonlyArray<InvocationSpan.Misconfiguration>) => found.map((m) => m._tag)

describe("InvocationSpan", () => {
  describe("decide", () => {
    const cases: ReadonlyArray<
      readonly [string, InvocationSpan.Setting, InvocationSpan.ActiveSpan, InvocationSpan.Mode]
    > = [
      ["auto_noSpan_standalone", "auto", "none", "standalone"],
      ["auto_oursActive_standalone", "auto", "ours", "standalone"],
      ["auto_foreignActive_outer", "auto", "foreign", "outer"],
      ["standalone_foreignActive_standalone", "standalone", "foreign", "standalone"],
      ["outer_foreignActive_outer", "outer", "foreign", "outer"],
      ["outer_noSpan_fallsBackToStandalone", "outer", "none", "standalone"],
      ["outer_oursActive_fallsBackToStandalone", "outer", "ours", "standalone"]
    ]
    for (const [name, setting, active, expected] of cases) {
      it(name, () => assert.strictEqual(InvocationSpan.decide(setting, active), expected, name))
    }

    it("law: outer only under a foreign span, and never when standalone is forced", () => {
      for (const setting of InvocationSpan.SETTINGS) {
        for (const active of ACTIVE) {
          const mode = InvocationSpan.decide(setting, active)
          if (mode === "outer") assert.strictEqual(active, "foreign", `${setting}/${active}`)
          if (setting === "standalone") assert.strictEqual(mode, "standalone", `${setting}/${active}`)
        }
      }
    })
  })

  describe("parseSetting", () => {
    it("accepts the three settings in any case, rejects the rest", () => {
      assert.deepStrictEqual(InvocationSpan.parseSetting(" Outer "), Option.some("outer"))
      assert.deepStrictEqual(InvocationSpan.parseSetting("STANDALONE"), Option.some("standalone"))
      assert.deepStrictEqual(InvocationSpan.parseSetting("auto"), Option.some("auto"))
      assert.deepStrictEqual(InvocationSpan.parseSetting("datadog"), Option.none())
      assert.deepStrictEqual(InvocationSpan.parseSetting(undefined), Option.none())
    })
  })

  describe("ddTraceStyles", () => {
    const from = (env: Record<string, string>) => InvocationSpan.ddTraceStyles((name) => env[name])
    it("defaults to dd-trace's list", () =>
      assert.deepStrictEqual(from({}), {
        extract: InvocationSpan.DD_DEFAULT_STYLES,
        inject: InvocationSpan.DD_DEFAULT_STYLES
      }))
    it("the specific variable wins over the shared one", () =>
      assert.deepStrictEqual(
        from({ DD_TRACE_PROPAGATION_STYLE: "b3", DD_TRACE_PROPAGATION_STYLE_EXTRACT: " TraceContext , datadog" }),
        { extract: ["tracecontext", "datadog"], inject: ["b3"] }
      ))
    it("an empty list keeps the default", () =>
      assert.deepStrictEqual(
        from({ DD_TRACE_PROPAGATION_STYLE_EXTRACT: " , " }).extract,
        InvocationSpan.DD_DEFAULT_STYLES
      ))
  })

  describe("misconfigurations", () => {
    const cases: ReadonlyArray<readonly [string, Partial<InvocationSpan.Facts>, ReadonlyArray<string>]> = [
      ["standalone_noWrapper_fine", {}, []],
      ["outer_withOurExtractor_fine", { active: "foreign", extractorRan: true }, []],
      ["forcedStandalone_underWrapper_twoSpans", { setting: "standalone", active: "foreign" }, ["TwoInvocationSpans"]],
      ["forcedOuter_noWrapper", { setting: "outer" }, ["NoOuterSpan"]],
      ["outer_theirExtractor", { active: "foreign" }, ["OuterReaderNotOurs"]],
      [
        "pluginEnvToo_loadedTwice",
        { durableExecutionPlugins: "@durable-trace/runtime/PluginProvider", extractorRan: true },
        ["PluginLoadedTwice"]
      ],
      ["builtInWriterOn_twoWriters", { builtInWriter: true }, ["TwoWriters"]],
      ["builtInWriterOn_notWriting_fine", { builtInWriter: true, writeEnabled: false }, []],
      ["otherPlugin_fine", { durableExecutionPlugins: "./my-plugin.js" }, []],
      [
        "b3Only_unreadable",
        { styles: { extract: ["b3"], inject: InvocationSpan.DD_DEFAULT_STYLES } },
        ["UnreadableCheckpoints"]
      ],
      [
        "injectB3_extractDatadog_unreadable",
        { styles: { extract: ["datadog"], inject: ["b3multi"] } },
        ["UnreadableCheckpoints"]
      ],
      ["tracecontextOnBothSides_fine", { styles: { extract: ["tracecontext"], inject: ["tracecontext", "b3"] } }, []],
      [
        "several_inOrder",
        { setting: "standalone", active: "foreign", styles: { extract: ["none"], inject: ["datadog"] } },
        ["TwoInvocationSpans", "UnreadableCheckpoints"]
      ]
    ]
    for (const [name, overrides, expected] of cases) {
      it(name, () => assert.deepStrictEqual(tags(InvocationSpan.misconfigurations(facts(overrides))), expected, name))
    }

    it("every warning names durable-trace and is one line", () => {
      const all: ReadonlyArray<InvocationSpan.Misconfiguration> = [
        { _tag: "TwoInvocationSpans" },
        { _tag: "NoOuterSpan" },
        { _tag: "OuterReaderNotOurs" },
        { _tag: "TwoWriters" },
        { _tag: "PluginLoadedTwice", plugins: "@durable-trace/runtime/PluginProvider" },
        { _tag: "UnreadableCheckpoints", extract: ["b3"], payload: ["datadog", "tracecontext"] }
      ]
      for (const m of all) {
        const text = InvocationSpan.message(m)
        assert.isTrue(text.startsWith("durable-trace: "), m._tag)
        assert.notInclude(text, "\n", m._tag)
      }
      assert.include(
        InvocationSpan.message({ _tag: "UnreadableCheckpoints", extract: ["b3"], payload: ["datadog"] }),
        "(b3)"
      )
    })
  })
})
