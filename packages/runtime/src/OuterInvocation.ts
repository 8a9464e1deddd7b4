/**
 * What durable-trace shares with an outer Lambda wrapper's invocation (datadog-lambda-js, OpenTelemetry's
 * `AwsLambdaInstrumentation`): the read its extractor made before the wrapper opened its span, handed to
 * `withDurableTracing` in the same invocation, and which spans durable-trace itself started, so the wrapper can
 * tell an outer invocation span from one of its own. A read is keyed by the invocation's event object, which both
 * wrappers hand on to the handler unchanged: two invocations of one execution in flight at once (a retry racing a
 * slow one) never see each other's read, and an event no wrapper takes leaves nothing behind (a `WeakMap`).
 * Gotcha: both tables are process-wide (keyed by `Symbol.for`), because the extractor and the wrapper may come from
 * two copies of this module in one bundle.
 */
import { DurableExecutionApiClient, type DurableExecutionClient } from "@aws/durable-execution-sdk-js"
import type { Backend, BackendService, Span } from "@durable-trace/adapters/Backend"
import * as DurableClient from "@durable-trace/adapters/DurableClient"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as InvocationSpan from "@durable-trace/core/InvocationSpan"
import * as LambdaSpan from "@durable-trace/core/LambdaSpan"
import * as Reader from "@durable-trace/core/Reader"
import { report, type Telemetry } from "@durable-trace/core/Telemetry"
import type { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as InvocationClients from "./InvocationClients.ts"

/** The services an extractor reads with: a backend layer's. */
export type Services = Backend | TracePropagation | Telemetry

/** A read made by one of durable-trace's extractors. */
export interface Recorded {
  readonly read: Reader.ReadResult
  /** False when the extractor could not page (a synchronous hook): the wrapper reads every page itself. */
  readonly complete: boolean
}

interface Shared {
  readonly reads: WeakMap<object, Recorded>
  readonly ours: WeakSet<object>
}

// A new key: an older copy of this module keeps its reads in a Map by execution ARN under the old one.
const SHARED = Symbol.for("@durable-trace/runtime/OuterInvocation/byEvent")
const processWide = globalThis as { [SHARED]?: Shared }
processWide[SHARED] ??= { reads: new WeakMap(), ours: new WeakSet() }
const shared: Shared = processWide[SHARED]

/** Records what the extractor read for the invocation of `event`, starting now. */
export const record = (event: unknown, recorded: Recorded): void => {
  if (typeof event === "object" && event !== null) shared.reads.set(event, recorded)
}

/** The read recorded for the invocation of `event`, removed: each is consumed by the invocation it was made for. */
export const take = (event: unknown): Recorded | undefined => {
  if (typeof event !== "object" || event === null) return undefined
  const recorded = shared.reads.get(event)
  shared.reads.delete(event)
  return recorded
}

/** `backend`, with every span it starts remembered as durable-trace's own. */
export const remembering = (backend: BackendService): BackendService => ({
  ...backend,
  startSpan: (name, options) => {
    const span = backend.startSpan(name, options)
    shared.ours.add(span as object)
    return span
  }
})

/** The span active as the handler starts, and whose it is. */
export const observe = (
  backend: BackendService
): { readonly active: InvocationSpan.ActiveSpan; readonly span?: Span } => {
  const span = backend.active()
  if (span === undefined) return { active: "none" }
  return { active: shared.ours.has(span as object) ? "ours" : "foreign", span }
}

/**
 * A read-only checkpoint store for an extractor: pages through the event's own client (the local runner's) or
 * `client`. It never writes; the wrapper does, through the SDK's client.
 */
export const pagingStore = (
  event: unknown,
  executionArn: string,
  client: () => DurableExecutionClient
): CheckpointStore["Service"] => {
  const source = InvocationClients.ofEvent(event, "getExecutionState") ?? client()
  const token = Option.getOrElse(DurableEvent.checkpointToken(event), () => "")
  // Its own chain, never registered with a tracker: an extractor only reads, with the event's token.
  const chain: DurableClient.TokenChain = { token: () => token, overlapping: false, forget: () => {} }
  const readOnly: DurableClient.TrackedClient = {
    client: source,
    seed: () => chain
  }
  return DurableClient.checkpointStore(readOnly, executionArn, chain)
}

/** The SDK's default client, built once and only when an extractor has to page. */
let defaultClient: DurableExecutionClient | undefined
export const sdkClient = (): DurableExecutionClient => (defaultClient ??= new DurableExecutionApiClient())

/** The reader over `event` with `store` for further pages: what withDurableTracing itself reads (SPEC §3). */
export const read = (
  event: unknown,
  lambdaContext: unknown,
  executionArn: string,
  store: CheckpointStore["Service"],
  extractor: Reader.Extractor | undefined
): Effect.Effect<Reader.ReadResult, never, TracePropagation | Telemetry> =>
  Effect.gen(function* () {
    const log = yield* CheckpointLog.make(event, executionArn)
    return yield* Reader.read(event, lambdaContext, { log, extractor })
  }).pipe(Effect.provideService(CheckpointStore, store))

/**
 * Whether the reader can decide `event` without paging: page 1 holds a valid checkpoint, or there is no further
 * page. A synchronous extractor reads only then.
 */
export const decidableOnFirstPage = (event: unknown, executionArn: string): Effect.Effect<boolean> =>
  CheckpointLog.make(event, executionArn).pipe(
    Effect.map((log) => Option.isSome(log.firstPage.latest) || !log.paged),
    Effect.provideService(CheckpointStore, NO_STORE)
  )

const NO_STORE: CheckpointStore["Service"] = {
  page: () => Effect.die("decidableOnFirstPage never pages"),
  write: () => Effect.die("decidableOnFirstPage never writes")
}

/** A latch that opens once: the cold-start warnings of one wrapped handler. */
export interface Latch {
  /** True on the first call only. */
  readonly first: () => boolean
}

/** A fresh latch. */
export const once = (): Latch => {
  let done = false
  return {
    first: () => {
      if (done) return false
      done = true
      return true
    }
  }
}

/** The outer wrapper's invocation span to run under, if any, and what durable-trace's extractor read for it. */
export interface Outer {
  readonly span?: Span | undefined
  readonly recorded?: Recorded | undefined
}

/**
 * Decides this invocation's invocation span (SPEC §10) from what is active as the handler starts, and, on the
 * first invocation, logs every misconfiguration once as a warning.
 */
export const invocationSpan = (
  runtime: ManagedRuntime.ManagedRuntime<Services, never>,
  backend: BackendService,
  event: unknown,
  options: { readonly setting: InvocationSpan.Setting; readonly writeEnabled: boolean; readonly warnings: Latch }
): Outer => {
  const observed = observe(backend)
  const recorded = take(event)
  if (options.warnings.first()) {
    const found = InvocationSpan.misconfigurations({
      setting: options.setting,
      active: observed.active,
      extractorRan: recorded !== undefined,
      writeEnabled: options.writeEnabled,
      builtInWriter: backend.builtInWriter,
      durableExecutionPlugins: process.env.DURABLE_EXECUTION_PLUGINS,
      styles: backend.name === "dd-trace" ? InvocationSpan.ddTraceStyles((name) => process.env[name]) : undefined
    })
    if (found.length > 0) {
      void runtime
        .runPromise(Effect.forEach(found, (m) => Effect.logWarning(InvocationSpan.message(m)), { discard: true }))
        .catch(() => undefined)
    }
  }
  return InvocationSpan.decide(options.setting, observed.active) === "outer"
    ? { span: observed.span, recorded }
    : { recorded }
}

/**
 * Tags the outer invocation span with the execution's identity, as durable-trace's own `aws.lambda` would be
 * (SPEC §5), and reports a parent the outer span could not get: a synchronous extractor that could not page while
 * every page holds a context.
 */
export const adopt = async (
  runtime: ManagedRuntime.ManagedRuntime<Services, never>,
  backend: BackendService,
  outer: Outer,
  event: unknown,
  read: Reader.ReadResult
): Promise<void> => {
  const span = outer.span
  if (span === undefined) return
  const complete = outer.recorded?.complete === true
  try {
    // The source only when durable-trace's reader chose the span's parent.
    backend.setTags(span, LambdaSpan.adoptedTags(event, complete ? Option.some(read.source) : Option.none()))
    // The outer wrapper may have kept only the ids of the context our reader gave it.
    if (complete && Option.isSome(read.context)) backend.adoptPropagated?.(span, read.context.value.native)
  } catch {
    // A backend that throws while tagging must not change the invocation's outcome.
  }
  if (outer.recorded !== undefined && !outer.recorded.complete && Option.isSome(read.context)) {
    await runtime
      .runPromise(
        report(
          new DurableTraceError({
            location: "extract",
            reason: "outer invocation span started before every page was read",
            identifiers: { source: read.source }
          })
        )
      )
      .catch(() => undefined)
  }
}
