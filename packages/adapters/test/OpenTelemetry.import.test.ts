/**
 * `OpenTelemetry.layerGlobal` builds nothing at import (issue 12 item 4): the default backend is made when the layer is
 * first built, from the global providers registered by then, and every later build shares it.
 */
import { assert, describe, it } from "@effect/vitest"
import { ProxyTracerProvider, trace } from "@opentelemetry/api"
import * as Effect from "effect/Effect"

// A global tracer provider that records who asks it for a tracer, registered before the module is imported.
const asked: Array<string> = []
const noop = new ProxyTracerProvider()
trace.setGlobalTracerProvider({
  getTracer: (name, version, options) => {
    asked.push(name)
    return noop.getTracer(name, version, options)
  }
})
const { Backend } = await import("../src/Backend.ts")
const OpenTelemetry = await import("../src/OpenTelemetry.ts")

describe("OpenTelemetry.layerGlobal", () => {
  it("asks the global provider for nothing at import", () => {
    assert.deepStrictEqual(asked, [])
  })

  it.effect("is made at its first build, and later builds share that backend", () =>
    Effect.gen(function* () {
      const first = yield* Effect.provide(Effect.service(Backend), OpenTelemetry.layerGlobal)
      assert.deepStrictEqual(asked, [OpenTelemetry.SCOPE_NAME])
      const second = yield* Effect.provide(Effect.service(Backend), OpenTelemetry.layerGlobal)
      assert.strictEqual(second, first)
      assert.deepStrictEqual(asked, [OpenTelemetry.SCOPE_NAME])
    })
  )
})
