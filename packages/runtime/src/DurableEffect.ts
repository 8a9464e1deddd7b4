/**
 * The Effect-native API: a durable Lambda handler whose body is an Effect, with the SDK's durable context as a
 * service and durable steps that take Effects. The app's own `Effect.withSpan` spans nest under the durable
 * spans of whichever backend is chosen. The runtime (your layer plus the backend) is built once per container;
 * the durable context is provided per invocation, never held in the runtime. Replays re-run the handler from the
 * top: keep side effects inside `step`.
 */

import { AsyncLocalStorage } from "node:async_hooks"
import type {
  DurableLambdaHandler,
  DurableContext as SdkDurableContext,
  Duration as SdkDuration,
  StepConfig
} from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as EffectTracer from "@durable-trace/adapters/EffectTracer"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Tracer from "effect/Tracer"
import * as ConfigEffect from "./ConfigEffect.ts"
import { type WithDurableTracingOptions, withDurableTracing } from "./withDurableTracing.ts"

/** The SDK's durable context of the current invocation. */
export class DurableContext extends Context.Service<DurableContext, SdkDurableContext>()(
  "@durable-trace/runtime/DurableContext"
) {}

/**
 * Runs `effect` as the durable step `name`: executed once, checkpointed, and replayed from its stored result
 * afterwards. It runs with the caller's services, inside the step's span.
 */
export const step = <A, E, R>(
  name: string,
  effect: Effect.Effect<A, E, R>,
  config?: StepConfig<A>
): Effect.Effect<A, unknown, R | DurableContext> =>
  Effect.gen(function* () {
    const durable = yield* DurableContext
    // Without the caller's Effect parent span, spans inside the step nest under the backend's active span:
    // the step's own `aws.durable.step` span, which the plugin activates around the attempt.
    const context = Context.omit(Tracer.ParentSpan)(yield* Effect.context<R>())
    return yield* Effect.tryPromise({
      try: () => durable.step(name, () => Effect.runPromiseWith(context)(effect as Effect.Effect<A, E, never>), config),
      catch: (cause) => cause
    })
  })

/** Suspends the workflow for `duration` (the invocation ends; a later one resumes after it). */
export const wait = (name: string, duration: SdkDuration): Effect.Effect<void, unknown, DurableContext> =>
  Effect.flatMap(Effect.service(DurableContext), (durable) =>
    Effect.tryPromise({ try: () => durable.wait(name, duration), catch: (cause) => cause })
  )

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
}

/**
 * A durable Lambda handler from an Effect workflow.
 *
 * @example
 * ```ts
 * import * as DurableEffect from "@durable-trace/runtime/DurableEffect"
 *
 * export const handler = DurableEffect.handler({
 *   backend: OpenTelemetry.layer,
 *   layer: Payments.layer,
 *   handler: (order: Order) =>
 *     Effect.gen(function* () {
 *       const payments = yield* Payments
 *       yield* DurableEffect.step("charge", payments.charge(order))
 *       yield* DurableEffect.wait("settle", { seconds: 30 })
 *       return yield* DurableEffect.step("ship", ship(order))
 *     }).pipe(Effect.withSpan("order.workflow"))
 * })
 * ```
 */
export const handler = <TEvent, A, E, R>(options: HandlerOptions<TEvent, A, E, R>): DurableLambdaHandler => {
  const { handler: workflow, layer, backend, configProvider, ...rest } = options
  // Settings through Effect Config; options given in code still win.
  const settings = Effect.runSync(ConfigEffect.config.parse(configProvider ?? ConfigProvider.fromEnv()))
  const runtime = ManagedRuntime.make(Layer.mergeAll(layer, EffectTracer.layerTracer.pipe(Layer.provide(backend))))
  process.once("SIGTERM", () => {
    void runtime.dispose()
  })
  // When an invocation suspends, the SDK returns PENDING without awaiting the handler: its fiber would wait
  // forever, and its spans would never end. Each invocation's fiber is interrupted when the invocation returns.
  const invocation = new AsyncLocalStorage<AbortSignal>()
  const traced = withDurableTracing<TEvent, A>(
    (event, durable) =>
      runtime.runPromise(workflow(event).pipe(Effect.provideService(DurableContext, durable)), {
        signal: invocation.getStore()
      }),
    {
      enabled: settings.enabled,
      service: settings.service,
      env: settings.env,
      writeTimeoutMillis: settings.writeTimeoutMillis,
      readTimeoutMillis: settings.readTimeoutMillis,
      deadlineMarginMillis: settings.deadlineMarginMillis,
      earlyCheckpoint: settings.earlyCheckpoint,
      ...definedOnly(rest),
      backend,
      handlerName: rest.handlerName ?? "effect-handler"
    }
  )
  return async (event, context) => {
    const controller = new AbortController()
    try {
      return await invocation.run(controller.signal, () => traced(event, context))
    } finally {
      controller.abort()
    }
  }
}

const definedOnly = <A extends object>(value: A): Partial<A> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<A>
