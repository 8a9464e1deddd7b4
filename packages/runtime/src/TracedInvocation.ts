/**
 * One traced invocation, from the wrapper's side: which span is the invocation span (an outer wrapper's or
 * durable-trace's own `aws.lambda`), what context it continues (SPEC §3), this invocation's token chain and
 * checkpoint store, and, around the SDK's handler, the tags, the end and the bounded flush. Every value here belongs
 * to this invocation alone and travels in its `InvocationState`: many invocations may be in flight in one process
 * (Lambda Managed Instances, SPEC §8). Tracing never changes the outcome: a failed set-up runs the handler untraced.
 */
import type {
  DurableExecutionInvocationInput,
  DurableExecutionInvocationOutput,
  DurableLambdaHandler
} from "@aws/durable-execution-sdk-js"
import { type Backend, parentOf, ROOT, type Span } from "@durable-trace/adapters/Backend"
import * as DurableClient from "@durable-trace/adapters/DurableClient"
import { realClock, realNow } from "@durable-trace/adapters/DurableClient"
import { type InvocationState, runInvocation } from "@durable-trace/adapters/DurablePlugin"
import type * as PluginWrite from "@durable-trace/adapters/PluginWrite"
import * as Budget from "@durable-trace/core/Budget"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as InvocationNumber from "@durable-trace/core/InvocationNumber"
import * as LambdaSpan from "@durable-trace/core/LambdaSpan"
import * as Reader from "@durable-trace/core/Reader"
import * as ReadSettled from "@durable-trace/core/ReadSettled"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { report } from "@durable-trace/core/Telemetry"
import * as TraceMode from "@durable-trace/core/TraceMode"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Config from "./Config.ts"
import type { ContainerRuntime } from "./ContainerRuntime.ts"
import * as Flush from "./Flush.ts"
import type { InvocationClients } from "./InvocationClients.ts"
import * as OuterInvocation from "./OuterInvocation.ts"
import type { InvocationSummary } from "./withDurableTracing.ts"

/** What every invocation of one wrapped handler shares: built once, holding nothing of any invocation. */
export interface Handler {
  readonly runtime: ContainerRuntime["runtime"]
  /** The runtime's services for the synchronous path (the settled read). */
  readonly ports: PluginWrite.Ports
  readonly backend: Backend["Service"]
  /** The SDK's handler with durable-trace's plugin. */
  readonly durable: DurableLambdaHandler
  readonly config: Config.DurableTraceConfig
  readonly clients: InvocationClients
  readonly extractor: Reader.Extractor | undefined
  readonly onInvocation: ((summary: InvocationSummary) => void) | undefined
  /** The cold-start warnings, logged at the handler's first invocation. */
  readonly warnings: OuterInvocation.Latch
}

// Process-wide, not per invocation: only the process's first invocation is a cold start.
let coldStart = true

const reported = (handler: Handler, error: DurableTraceError): Promise<void> =>
  handler.runtime.runPromise(report(error)).catch(() => undefined)

/** `getRemainingTimeInMillis()` of an untrusted Lambda context, if it has one that returns. */
const remainingMillis = (context: unknown): unknown => {
  try {
    const remaining = (context as { getRemainingTimeInMillis?: unknown }).getRemainingTimeInMillis
    return typeof remaining === "function" ? remaining.call(context) : undefined
  } catch {
    return undefined
  }
}

interface Started {
  readonly span: Span
  readonly read: Reader.ReadResult
  readonly chain: DurableClient.TokenChain
  readonly state: InvocationState
}

/** Seeds this invocation's token chain, reads its context, and opens (or adopts) its invocation span. */
const begin = async (
  handler: Handler,
  event: DurableExecutionInvocationInput,
  context: object,
  executionArn: string,
  outer: OuterInvocation.Outer,
  started: (chain: DurableClient.TokenChain) => void
): Promise<Started> => {
  const { runtime, backend, config } = handler
  const tracked = handler.clients.tracked(event)
  // This invocation's own token chain: another invocation of the execution may be in flight (SPEC §4.1).
  const chain = tracked.seed(
    executionArn,
    Option.getOrElse(DurableEvent.checkpointToken(event), () => "")
  )
  started(chain)
  if (chain.overlapping) {
    await reported(
      handler,
      new DurableTraceError({
        location: "write_checkpoint",
        reason: "overlapping invocation",
        identifiers: { executionArn }
      })
    )
  }
  const store = DurableClient.checkpointStore(tracked, executionArn, chain)
  const deadline = LambdaSpan.deadline(remainingMillis(context), realNow())
  // Paging is bounded like the write: by time, under the deadline, and by pages (SPEC §3.3b).
  const readBudget = Budget.millisLeft({
    boundMillis: config.readTimeoutMillis,
    deadline,
    nowMillis: realNow(),
    marginMillis: config.deadlineMarginMillis
  })
  // A single-page log is the whole state: read synchronously, and reused by the plugin instead of scanning the
  // operations again.
  const settled = CheckpointLog.settled(event, executionArn)
  const recorded = outer.span !== undefined && outer.recorded?.complete ? outer.recorded.read : undefined
  const decided =
    recorded !== undefined || settled === undefined || handler.ports.propagation === undefined
      ? undefined
      : ReadSettled.decide(event, context, settled, handler.ports.propagation, handler.extractor)
  for (const failure of decided?.failures ?? []) await reported(handler, failure)
  const read =
    recorded ??
    decided?.result ??
    (await runtime.runPromise(
      Effect.flatMap(CheckpointLog.make(event, executionArn, { timeout: `${Math.max(0, readBudget)} millis` }), (log) =>
        Reader.read(event, context, { log, extractor: handler.extractor })
      ).pipe(
        Effect.provideService(CheckpointStore, store),
        // The bound is real time, whatever clock the process has faked.
        Effect.provideService(Clock.Clock, realClock)
      )
    ))
  // Linked mode and whole-execution sampling decide whether this invocation starts a trace of its own (SPEC §11).
  const start = TraceMode.invocationStart({
    mode: config.traceMode,
    checkpoint: Option.map(read.checkpoint, (checkpoint) => checkpoint.headers),
    continued: Option.isSome(read.context),
    executionArn,
    sampleRatio: config.sampleRatio
  })
  const span =
    outer.span ??
    backend.startSpan(SpanRules.LAMBDA_SPAN, {
      parent: start.root ? ROOT : Option.getOrUndefined(parentOf(read.context)),
      links: start.links,
      samplingPriority: start.samplingPriority,
      ...LambdaSpan.spanOptions({
        event,
        context: LambdaSpan.contextOf(context),
        coldStart,
        source: read.source,
        continued: Option.isSome(read.context)
      })
    })
  if (outer.span !== undefined) await OuterInvocation.adopt(runtime, backend, outer, event, read)
  return {
    span,
    read,
    chain,
    state: {
      executionArn,
      store,
      deadline,
      parent: span,
      operationSpans: new Map(),
      log: settled,
      // A resumed invocation continues the anchor (the first execute span, SPEC §5.2) from the checkpoint.
      anchor: read.source === "checkpoint" ? Option.getOrUndefined(parentOf(read.context)) : undefined
    }
  }
}

/** Runs the invocation of `event` (a durable event of `executionArn`) traced. */
export const run = async (
  handler: Handler,
  event: DurableExecutionInvocationInput,
  lambdaContext: unknown,
  executionArn: string
): Promise<DurableExecutionInvocationOutput> => {
  const { runtime, backend, config, durable } = handler
  let started: Started | undefined
  let chainStarted: DurableClient.TokenChain | undefined
  let outer: Span | undefined
  try {
    const found = OuterInvocation.invocationSpan(runtime, backend, event, {
      setting: config.invocationSpan,
      writeEnabled: config.enabled,
      warnings: handler.warnings
    })
    outer = found.span
    started = await begin(handler, event, (lambdaContext ?? {}) as object, executionArn, found, (chain) => {
      chainStarted = chain
    })
  } catch (cause) {
    // Nothing else would end the chain of an invocation whose set-up failed.
    chainStarted?.forget()
    await reported(handler, new DurableTraceError({ location: "unknown", reason: "tracing setup failed", cause }))
  } finally {
    coldStart = false
  }
  if (started === undefined) return durable(event, lambdaContext as never)
  const { span, read, chain, state } = started
  try {
    // Every hook of this invocation, and every span and log line of its handler, finds it through the async
    // context: many invocations may be in flight in this process (SPEC §8).
    const output = await runInvocation(state, () =>
      backend.activate(span, () => durable(event, lambdaContext as never))
    )
    safely(() => backend.setTags(span, { "aws.durable.execution_status": output.Status }))
    return output
  } catch (error) {
    // The outer wrapper records its own span's error from the rejection.
    if (outer === undefined) safely(() => backend.setError(span, error))
    throw error
  } finally {
    // The plugin counted this invocation when it started it (SPEC §11); unknown numbers are not tagged.
    if (state.invocationNumber !== undefined)
      safely(() => backend.setTags(span, InvocationNumber.numberTags(state.invocationNumber)))
    // Under an outer wrapper, its span and its flush are its own (SPEC §10).
    if (outer === undefined) safely(() => backend.finish(span))
    chain.forget()
    safely(() => handler.onInvocation?.({ executionArn, read, ...state.report }))
    if (outer === undefined) {
      await Flush.beforeDeadline(runtime, backend, {
        boundMillis: config.writeTimeoutMillis,
        marginMillis: config.deadlineMarginMillis,
        deadline: state.deadline
      })
    }
  }
}

const safely = (fn: () => void): void => {
  try {
    fn()
  } catch {
    // A backend that throws while tagging or finishing must not change the invocation's outcome.
  }
}
