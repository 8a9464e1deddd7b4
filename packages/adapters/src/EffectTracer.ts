/**
 * Effect spans in the durable trace: an Effect `Tracer` that mirrors every `Effect.withSpan` span into the chosen
 * backend, under its Effect parent or, at the top, under the backend's active span (the durable operation running
 * the effect). Provide `layer` next to a backend layer; it works for every backend. OpenTelemetry users may use
 * `@effect/opentelemetry/OtelTracer`'s `layerGlobal` instead, which parents onto the active OTel span the same way.
 * Gotcha: while a mirrored span's effect runs, its backend span is the active one, so vendor instrumentation inside
 * (an HTTP client, a `backend.startSpan` with no parent) nests under the Effect span, not beside it.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import {
  Backend,
  type BackendService,
  type Span as BackendSpan,
  parentSpan,
  ROOT,
  type SpanOptions,
  type TagValue
} from "./Backend.ts"

type StartOptions = Parameters<Tracer.Tracer["span"]>[0]

/** An Effect span mirrored into a backend span, with the backend span's ids (so logs and `currentSpan` agree). */
class MirroredSpan extends Tracer.NativeSpan {
  readonly backend: BackendService
  readonly backendSpan: BackendSpan

  constructor(options: StartOptions, backend: BackendService, backendSpan: BackendSpan) {
    super(options)
    this.backend = backend
    this.backendSpan = backendSpan
    const ids = backend.ids(backendSpan)
    this._traceId = ids.traceId
    this._spanId = ids.spanId
  }

  override attribute(key: string, value: unknown): void {
    if (this.status._tag === "Ended") return
    super.attribute(key, value)
    const tag = toTagValue(value)
    if (tag !== undefined) this.backend.setTags(this.backendSpan, { [key]: tag })
  }

  override end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    if (this.status._tag === "Ended") return
    super.end(endTime, exit)
    if (exit._tag === "Failure" && !Cause.hasInterruptsOnly(exit.cause)) {
      this.backend.setError(this.backendSpan, Cause.squash(exit.cause))
    }
    this.backend.finish(this.backendSpan, toMillis(endTime))
  }
}

const KINDS: Partial<Record<Tracer.SpanKind, SpanOptions["kind"]>> = {
  internal: "internal",
  server: "server",
  client: "client"
}

// Effect stamps spans with 0 when span timing is off (or under a TestClock at its origin): let the backend time them.
const toMillis = (nanos: bigint): number | undefined => (nanos > 0n ? Number(nanos / 1000n) / 1000 : undefined)

const toTagValue = (value: unknown): TagValue | undefined => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return value.toString()
    case "undefined":
    case "function":
    case "symbol":
      return undefined
    default:
      if (value === null) return undefined
      try {
        return JSON.stringify(value)
      } catch {
        return String(value)
      }
  }
}

/** The Effect `Tracer` over `backend`. */
export const make = (backend: BackendService): Tracer.Tracer => {
  const mirrored = (span: Tracer.AnySpan | undefined): span is MirroredSpan =>
    span instanceof MirroredSpan && span.backend === backend
  return Tracer.make({
    span(options) {
      // Effect decided not to record it (a trace level filter): keep it out of the backend too.
      if (!options.sampled) return new Tracer.NativeSpan(options)
      const parent = Option.getOrUndefined(options.parent)
      // An Effect parent of ours, else a new trace when asked for a root, else the backend's active span (an
      // external parent has no backend object to start under).
      const backendParent = mirrored(parent) ? parentSpan(parent.backendSpan) : options.root ? ROOT : undefined
      const kind = KINDS[options.kind]
      const startTime = toMillis(options.startTime)
      const span = backend.startSpan(options.name, {
        parent: backendParent,
        ...(kind === undefined ? {} : { kind }),
        ...(startTime === undefined ? {} : { startTime })
      })
      return new MirroredSpan(options, backend, span)
    },
    context(primitive, fiber) {
      const span = fiber.cache.span
      return mirrored(span)
        ? backend.activate(span.backendSpan, () => primitive["~effect/Effect/evaluate"](fiber))
        : primitive["~effect/Effect/evaluate"](fiber)
    }
  })
}

/** Installs the tracer over the `Backend` in context: `Effect.withSpan` spans land in that backend. */
export const layer: Layer.Layer<never, never, Backend> = Layer.effect(
  Tracer.Tracer,
  Effect.map(Effect.service(Backend), make)
)
