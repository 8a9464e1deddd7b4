/**
 * Settings: the plain reader (the wrapper's cold path) and the Effect `Config` reader (Effect apps) agree on every
 * input, valid or not; options in code win over the environment.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Config from "../src/Config.ts"
import * as ConfigEffect from "../src/ConfigEffect.ts"

const viaEffect = (env: Record<string, string>) =>
  Effect.runSync(ConfigEffect.config.parse(ConfigProvider.fromEnvRecord(env)))

const ENVIRONMENTS: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ["empty: the defaults", {}],
  [
    "everything set",
    {
      DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED: "false",
      DD_SERVICE: "orders",
      DD_ENV: "prod",
      DURABLE_TRACE_WRITE_TIMEOUT_MS: "750",
      DURABLE_TRACE_READ_TIMEOUT_MS: "300",
      DURABLE_TRACE_DEADLINE_MARGIN_MS: "250",
      DURABLE_TRACE_EARLY_CHECKPOINT: "off",
      DURABLE_TRACE_INVOCATION_SPAN: " Outer ",
      DURABLE_TRACE_MODE: "Linked",
      DURABLE_TRACE_SAMPLE_RATIO: "0.25"
    }
  ],
  [
    "booleans in other spellings",
    { DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED: "0", DURABLE_TRACE_EARLY_CHECKPOINT: "YES" }
  ],
  [
    "invalid values keep the defaults",
    {
      DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED: "maybe",
      DURABLE_TRACE_WRITE_TIMEOUT_MS: "-5",
      DURABLE_TRACE_DEADLINE_MARGIN_MS: "1e3",
      DD_SERVICE: "   ",
      DURABLE_TRACE_INVOCATION_SPAN: "datadog",
      DURABLE_TRACE_MODE: "chained",
      DURABLE_TRACE_SAMPLE_RATIO: "1.5"
    }
  ]
]

describe("Config", () => {
  it("has the documented defaults", () => {
    assert.deepStrictEqual(Config.fromEnv({}), {
      enabled: true,
      service: undefined,
      env: undefined,
      writeTimeoutMillis: 2000,
      readTimeoutMillis: 1000,
      deadlineMarginMillis: 500,
      earlyCheckpoint: true,
      invocationSpan: "auto",
      traceMode: "continuous",
      sampleRatio: undefined
    })
  })

  for (const [label, env] of ENVIRONMENTS) {
    it(`the plain and the Effect Config readers agree: ${label}`, () => {
      assert.deepStrictEqual(viaEffect(env), Config.fromEnv(env), label)
    })
  }

  it("reads every setting", () => {
    assert.deepStrictEqual(Config.fromEnv(ENVIRONMENTS[1]![1]), {
      enabled: false,
      service: "orders",
      env: "prod",
      writeTimeoutMillis: 750,
      readTimeoutMillis: 300,
      deadlineMarginMillis: 250,
      earlyCheckpoint: false,
      invocationSpan: "outer",
      traceMode: "linked",
      sampleRatio: 0.25
    })
  })

  it("options in code win; an undefined option does not", () => {
    const merged = Config.merge(Config.fromEnv({ DD_SERVICE: "env-service" }), { service: "code", env: undefined })
    assert.strictEqual(merged.service, "code")
    assert.strictEqual(merged.env, undefined)
  })

  // The same validators for code as for the environment (issue 14, item 8): an invalid option is ignored, named.
  const invalidOptions: ReadonlyArray<readonly [string, Config.Overrides]> = [
    ["a negative margin", { deadlineMarginMillis: -500 }],
    ["a fractional timeout", { writeTimeoutMillis: 12.5 }],
    ["an infinite read bound", { readTimeoutMillis: Number.POSITIVE_INFINITY }],
    ["NaN", { writeTimeoutMillis: Number.NaN }],
    ["a switch that is not a boolean", { enabled: "maybe" as unknown as boolean }],
    ["an empty service", { service: "  " }]
  ]
  for (const [label, overrides] of invalidOptions) {
    it(`an invalid option in code keeps the environment's value: ${label}`, () => {
      const base = Config.fromEnv({ DURABLE_TRACE_DEADLINE_MARGIN_MS: "250", DD_SERVICE: "env-service" })
      assert.deepStrictEqual(Config.merge(base, overrides), base, label)
      assert.deepStrictEqual([...Config.invalidOptions(overrides)], Object.keys(overrides), label)
    })
  }

  it("valid options in code, numbers as the environment's digits", () => {
    const merged = Config.merge(Config.fromEnv({}), {
      deadlineMarginMillis: 0,
      writeTimeoutMillis: 750,
      enabled: false
    })
    assert.deepStrictEqual([merged.deadlineMarginMillis, merged.writeTimeoutMillis, merged.enabled], [0, 750, false])
    assert.deepStrictEqual(Config.invalidOptions({ deadlineMarginMillis: 0, env: undefined }), [])
  })
})
