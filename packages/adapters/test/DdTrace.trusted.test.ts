/**
 * The writer's trusted path on real tracer output (issue 12 item 7): what dd-trace's public `inject` writes, and
 * what OpenTelemetry's W3C propagator writes, is canonical, so `Headers.canonicalOf` vouches for it and the
 * adapter keeps it without re-parsing; other vendors' `tracestate` members and a user's origin and tags included.
 */
import * as Headers from "@durable-trace/core/Headers"
import { assert, describe, it } from "@effect/vitest"
import { defaultTextMapSetter, ROOT_CONTEXT, trace } from "@opentelemetry/api"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base"
import * as Option from "effect/Option"
import { tracer } from "./ddTraceLog.ts"

const TRACE = "6b0fb921000000003607398afa23f34a"
const PARENT = "03ca6332cde9b954"

// Upstream contexts a Lambda is invoked with: Datadog only, W3C with other vendors' members, both, with origin.
const UPSTREAM: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ["a new trace", {}],
  [
    "W3C with other vendors' members",
    {
      traceparent: `00-${TRACE}-${PARENT}-01`,
      tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@vendor=a b"
    }
  ],
  [
    "both styles, origin and tags, vendors after dd=",
    {
      "x-datadog-trace-id": BigInt(`0x${TRACE.slice(16)}`).toString(10),
      "x-datadog-parent-id": BigInt(`0x${PARENT}`).toString(10),
      "x-datadog-sampling-priority": "2",
      "x-datadog-origin": "synthetics",
      "x-datadog-tags": `_dd.p.tid=${TRACE.slice(0, 16)},_dd.p.dm=-4`,
      traceparent: `00-${TRACE}-${PARENT}-01`,
      tracestate: `dd=s:2;o:synthetics;t.dm:-4;p:${PARENT},rojo=00f067aa0ba902b7`
    }
  ]
]

describe("the trusted path on real tracer output", () => {
  for (const [name, upstream] of UPSTREAM) {
    it(`dd-trace's public inject, ${name}`, () => {
      const parent = Object.keys(upstream).length === 0 ? null : tracer.extract("text_map", upstream)
      const span = tracer.startSpan("aws.durable.execute", parent === null ? {} : { childOf: parent })
      const carrier: Record<string, string> = {}
      tracer.inject(span, "text_map", carrier)
      span.finish()
      const trusted = Headers.canonicalOf(carrier)
      assert.isDefined(trusted, JSON.stringify(carrier))
      assert.deepStrictEqual({ ...trusted }, { ...Option.getOrThrow(Headers.fromCarrier({ ...carrier })) })
    })
  }

  it("OpenTelemetry's W3C propagator, with other vendors' members", () => {
    const otel = new BasicTracerProvider().getTracer("test")
    const propagator = new W3CTraceContextPropagator()
    const upstream = propagator.extract(ROOT_CONTEXT, UPSTREAM[1]![1], {
      get: (carrier, key) => (carrier as Record<string, string>)[key],
      keys: (carrier) => Object.keys(carrier as object)
    })
    const span = otel.startSpan("aws.durable.execute", {}, upstream)
    const carrier: Record<string, string> = {}
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter)
    span.end()
    assert.include(carrier.tracestate, "rojo=")
    const trusted = Headers.canonicalOf(carrier)
    assert.isDefined(trusted, JSON.stringify(carrier))
    assert.deepStrictEqual({ ...trusted }, { ...Option.getOrThrow(Headers.fromCarrier({ ...carrier })) })
  })
})
