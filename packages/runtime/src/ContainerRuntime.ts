/**
 * The container runtime of a wrapped handler: its layer (the backend, and for `DurableEffect` the app's services)
 * built once, at the first invocation, shared by every invocation of the container, and disposed on SIGTERM after a
 * bounded flush of the backend (Shutdown.ts). `withDurableTracing` and `DurableEffect` both run on one: one build of
 * the backend, one SIGTERM disposal. Per-invocation state is never held here; each invocation provides its own.
 */
import { Backend, type BackendService } from "@durable-trace/adapters/Backend"
import type { PluginServices } from "@durable-trace/adapters/DurablePlugin"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Flush from "./Flush.ts"
import { onShutdown } from "./Shutdown.ts"

/** What a traced handler runs on. */
export interface ContainerRuntime {
  /** Runs durable-trace's programs (the plugin's, the reader's, reports). */
  readonly runtime: ManagedRuntime.ManagedRuntime<PluginServices, never>
  /** The backend, built on the first call; rejects, every time, when the layer cannot be built. */
  readonly backend: () => Promise<BackendService>
}

/**
 * The runtime of `layer`, built on first use. Once built, SIGTERM flushes its backend (at most `flushMillis`, and
 * within Shutdown's own bound) and then disposes it, so the layer's finalizers run.
 */
export const make = <R>(
  layer: Layer.Layer<R | PluginServices>,
  flushMillis: number
): ContainerRuntime & { readonly runtime: ManagedRuntime.ManagedRuntime<R | PluginServices, never> } => {
  const runtime = ManagedRuntime.make(layer)
  let backend: Promise<BackendService> | undefined
  return {
    runtime,
    backend: () =>
      (backend ??= runtime.runPromise(Effect.service(Backend)).then((built) => {
        onShutdown(() =>
          runtime
            .runPromise(Flush.bounded(built, flushMillis))
            .catch(() => undefined)
            .then(() => runtime.dispose())
        )
        return built
      }))
  }
}

/**
 * A container runtime over services already built by someone else's runtime (an Effect app's): nothing is built
 * again, and its owner disposes it.
 */
export const fromContext = (services: Context.Context<PluginServices>): ContainerRuntime => {
  const backend = Context.get(services, Backend)
  return {
    runtime: ManagedRuntime.make(Layer.succeedContext(services)),
    backend: () => Promise.resolve(backend)
  }
}
