/**
 * The Effect-native API: a durable Lambda handler whose body is an Effect, and the SDK's whole durable context as
 * Effects (steps, waits, callbacks, conditions, map, parallel, child contexts, invokes, combinators), each running
 * with the caller's services inside the durable spans of whichever backend is chosen. Values and typed errors
 * cross the durable boundary through Schemas (`success`, `error`), so a replay returns what the first run did.
 * Replays re-run the handler from the top: keep side effects inside `step`. The runtime (your layer plus the
 * backend) is built once per container; the durable context is provided per invocation, never held in it.
 */

import { AsyncLocalStorage } from "node:async_hooks"
import type { DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import type { PluginServices } from "@durable-trace/adapters/DurablePlugin"
import * as EffectTracer from "@durable-trace/adapters/EffectTracer"
import * as Cause from "effect/Cause"
import type * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ConfigEffect from "./ConfigEffect.ts"
import * as ContainerRuntime from "./ContainerRuntime.ts"
import { DurableContext, InvocationSignal, makeBoundary, toSdkError, type UserError } from "./DurableBoundary.ts"
import type { DurableSchema } from "./DurableSerdes.ts"
import * as TracedHandler from "./TracedHandler.ts"
import type { WithDurableTracingOptions } from "./withDurableTracing.ts"

export { type BatchOptions, type Branch, failureOf, map, parallel } from "./DurableBatch.ts"
export {
  type Boundary,
  DurableContext,
  type ErrorOf,
  type UserError
} from "./DurableBoundary.ts"
export { all, allSettled, any, type CombinatorOptions, race, timeout } from "./DurableCombinators.ts"
export {
  type DurableError,
  DurableOperationFailure,
  DurableSchemaError,
  DurableTimeoutError
} from "./DurableErrors.ts"
export {
  type CallbackOptions,
  type ChildOptions,
  createCallback,
  type InvokeOptions,
  invoke,
  runInChildContext,
  type StepOptions,
  step,
  type WaitForConditionOptions,
  wait,
  waitForCallback,
  waitForCondition
} from "./DurableOperations.ts"
export type { DurableSchema } from "./DurableSerdes.ts"

// ---------------------------------------------------------------------------------------------------------------
// The runtime: a Layer, and the handler

/** The durable runtime: durable-trace's settings and the tracer backend, as a service. */
export class DurableRuntime extends Context.Service<DurableRuntime, { readonly options: WithDurableTracingOptions }>()(
  "@durable-trace/runtime/DurableRuntime"
) {}

/** Options of `layer`: the backend, and settings given in code (they win over the Config ones). */
export interface LayerOptions extends Omit<WithDurableTracingOptions, "backend"> {
  /** The tracer backend. */
  readonly backend: BackendLayer
}

/**
 * The durable runtime as a Layer: settings read through Effect Config (the app's `ConfigProvider`, the environment
 * by default), the backend, and the Effect tracer over it so `Effect.withSpan` spans land in the durable trace.
 * Provide it with your services, then build the handler with `makeHandler`, which traces on this very backend:
 * it is built once, with your layer.
 */
export const layer = (options: LayerOptions): Layer.Layer<DurableRuntime | PluginServices, Config.ConfigError> => {
  const { backend, ...rest } = options
  return Layer.merge(
    Layer.effect(
      DurableRuntime,
      Effect.map(ConfigEffect.config, (settings) => ({
        options: {
          enabled: settings.enabled,
          service: settings.service,
          env: settings.env,
          writeTimeoutMillis: settings.writeTimeoutMillis,
          readTimeoutMillis: settings.readTimeoutMillis,
          deadlineMarginMillis: settings.deadlineMarginMillis,
          earlyCheckpoint: settings.earlyCheckpoint,
          traceMode: settings.traceMode,
          sampleRatio: settings.sampleRatio,
          ...definedOnly(rest),
          backend,
          handlerName: rest.handlerName ?? "effect-handler"
        }
      }))
    ),
    EffectTracer.layer
  ).pipe(Layer.provideMerge(backend))
}

/**
 * The durable Lambda handler of `workflow`, built with the services of the Effect that builds it (your layer and
 * `layer(...)`): what a test runs on the local runner, and what `handler` exports. Each invocation's fiber is
 * interrupted when the invocation returns: on a suspend the SDK returns PENDING without awaiting the handler, and
 * the fiber would otherwise wait forever, its spans and scopes never ending.
 */
export const makeHandler = <TEvent, A, E, R>(
  workflow: (event: TEvent) => Effect.Effect<A, E, R | DurableContext>,
  options?: WorkflowOptions<UserError<E>>
): Effect.Effect<DurableLambdaHandler, never, DurableRuntime | PluginServices | Exclude<R, DurableContext>> =>
  Effect.gen(function* () {
    const { backend: _backend, ...options_ } = (yield* DurableRuntime).options
    // The backend this Effect was given, built by its runtime: tracing builds nothing again.
    const container = ContainerRuntime.fromContext(yield* Effect.context<PluginServices>())
    const services = yield* Effect.context<Exclude<R, DurableContext>>()
    const invocation = new AsyncLocalStorage<AbortSignal>()
    const boundary = options?.error === undefined ? undefined : makeBoundary("workflow", { error: options.error })
    const traced = TracedHandler.make<TEvent, A>(
      async (event, durable) => {
        const signal = invocation.getStore() ?? new AbortController().signal
        const exit = await Effect.runPromiseExitWith(services)(
          workflow(event).pipe(
            Effect.provideService(DurableContext, durable),
            Effect.provideService(InvocationSignal, signal)
          ) as Effect.Effect<A, E, Exclude<R, DurableContext>>,
          { signal }
        )
        if (Exit.isSuccess(exit)) return exit.value
        // With an error schema, the execution's error carries the failure encoded: an `invoke` of this function
        // decodes it with the same schema. Without, it fails as a thrown error would.
        throw boundary === undefined ? Cause.squash(exit.cause) : toSdkError(exit.cause, boundary)
      },
      options_,
      TracedHandler.settings(options_),
      container
    )
    return async (event, context) => {
      const controller = new AbortController()
      try {
        return await invocation.run(controller.signal, () => traced(event, context))
      } finally {
        controller.abort()
      }
    }
  })

/** Options of a workflow. */
export interface WorkflowOptions<E> {
  /**
   * Encodes the workflow's typed failure into the execution's error, so a workflow that `invoke`s this one
   * (with the same `error` schema) fails with the same tagged error.
   */
  readonly error?: DurableSchema<E> | undefined
}

/** Options of `handler`. */
export interface HandlerOptions<TEvent, A, E, R> extends Omit<WithDurableTracingOptions, "backend"> {
  /** The workflow. Typed failures fail the execution. */
  readonly handler: (event: TEvent) => Effect.Effect<A, E, R | DurableContext>
  /** Your services. */
  readonly layer: Layer.Layer<R>
  /** The tracer backend. */
  readonly backend: BackendLayer
  /** Where durable-trace's settings come from (`ConfigEffect.config`). Default: the environment. */
  readonly configProvider?: ConfigProvider.ConfigProvider | undefined
  /** Encodes the workflow's typed failure into the execution's error (see `WorkflowOptions`). */
  readonly error?: DurableSchema<UserError<E>> | undefined
}

/**
 * A durable Lambda handler from an Effect workflow.
 *
 * @example
 * ```ts
 * import * as DurableEffect from "@durable-trace/runtime/DurableEffect"
 *
 * export const handler = DurableEffect.handler({
 *   backend: OpenTelemetry.layerGlobal,
 *   layer: Payments.layer,
 *   handler: (order: Order) =>
 *     Effect.gen(function* () {
 *       const payments = yield* Payments
 *       yield* DurableEffect.step("charge", payments.charge(order), { error: PaymentDeclined })
 *       yield* DurableEffect.wait("settle", { seconds: 30 })
 *       return yield* DurableEffect.step("ship", ship(order), { success: Shipment })
 *     }).pipe(Effect.withSpan("order.workflow"))
 * })
 * ```
 */
export const handler = <TEvent, A, E, R>(options: HandlerOptions<TEvent, A, E, R>): DurableLambdaHandler => {
  const { handler: workflow, layer: services, backend, configProvider, error, ...rest } = options
  const durable = layer({ ...rest, backend }).pipe(
    Layer.provide(ConfigProvider.layer(configProvider ?? ConfigProvider.fromEnv()))
  )
  // One container runtime: your services and the backend, built once; on SIGTERM a bounded flush, then the
  // finalizers, within a bound; then the signal takes its course (ContainerRuntime, Shutdown.ts).
  const container = ContainerRuntime.make(
    Layer.mergeAll(services, durable).pipe(Layer.orDie),
    TracedHandler.settings(rest).config.writeTimeoutMillis
  )
  let made: Promise<DurableLambdaHandler> | undefined
  return async (event, context) => {
    made ??= container.backend().then(() => container.runtime.runPromise(makeHandler(workflow, { error })))
    return (await made)(event, context)
  }
}

const definedOnly = <A extends object>(value: A): Partial<A> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<A>
