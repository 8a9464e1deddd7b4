import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { DurableTraceError, LOCATIONS } from "../src/Errors.ts"
import { degrade, INTEGRATION_ERRORS, Telemetry, TelemetryRecorder } from "../src/Telemetry.ts"

describe("Telemetry boundary (SPEC §4.7)", () => {
  for (const location of LOCATIONS) {
    it.effect(`a failure at ${location} counts that location and returns the fallback`, () =>
      Effect.gen(function* () {
        const failing = Effect.fail(new DurableTraceError({ location, reason: "test fault" }))
        const result = yield* failing.pipe(degrade("fallback"))
        assert.strictEqual(result, "fallback")
        const increments = yield* (yield* TelemetryRecorder).increments
        assert.deepStrictEqual(increments, [
          { integration: "aws-durable-execution-sdk-js", location, errorType: "test fault" }
        ])
      }).pipe(Effect.provide(Telemetry.layerTest))
    )
  }

  it.effect("a thrown defect is counted at the given location with its class name", () =>
    Effect.gen(function* () {
      const result = yield* Effect.sync((): string => {
        throw new TypeError("vendor bug")
      }).pipe(degrade("fallback", "inject"))
      assert.strictEqual(result, "fallback")
      const increments = yield* (yield* TelemetryRecorder).increments
      assert.deepStrictEqual(
        increments.map((i) => [i.location, i.errorType]),
        [["inject", "TypeError"]]
      )
    }).pipe(Effect.provide(Telemetry.layerTest))
  )

  it.effect("telemetry that throws cannot fail the caller", () =>
    Effect.gen(function* () {
      const result = yield* Effect.fail(new DurableTraceError({ location: "extract", reason: "x" })).pipe(
        degrade(42),
        Effect.provideService(
          Telemetry,
          Telemetry.of({
            failure: () =>
              Effect.sync(() => {
                throw new Error("statsd down")
              })
          })
        )
      )
      assert.strictEqual(result, 42)
    })
  )

  it.effect("the default layer increments the integration_errors Metric with its tags", () =>
    Effect.gen(function* () {
      yield* Effect.fail(new DurableTraceError({ location: "page_state", reason: "x" })).pipe(degrade(undefined))
      const snapshot = yield* Metric.snapshot
      const counter = snapshot.find((s) => s.id === INTEGRATION_ERRORS && s.attributes?.location === "page_state")
      assert.isDefined(counter)
      assert.deepStrictEqual(counter!.attributes, {
        integration: "aws-durable-execution-sdk-js",
        location: "page_state",
        error_type: "x"
      })
      assert.deepStrictEqual(counter!.state, { count: 1, incremental: true } as never)
    }).pipe(Effect.provide(Telemetry.layer))
  )
})
