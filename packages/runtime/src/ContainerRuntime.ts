/**
 * The container runtime of a wrapped handler: its layer (the backend, and for `DurableEffect` the app's services)
 * built once, at first use, shared by every invocation of the container, and disposed on SIGTERM after a bounded
 * flush of the backend (Shutdown.ts). `withDurableTracing`, `DurableEffect` and the outer wrappers' extractors
 * (`DatadogExtractor`, `OpenTelemetryExtractor`) all run on one: one build of the backend, one SIGTERM disposal.
 * Per-invocation state is never held here; each invocation provides its own.
 *
 * An extractor runs before the handler is ever called (the outer wrapper calls it first), but after the handler was
 * wrapped (at import), so it finds the handler's container here: by the layer object both were given, or, when it
 * was given none, the container the process's traced entry point made last (`current`). Gotcha: process-wide
 * (keyed by `Symbol.for`), because the extractor and the wrapper may come from two copies of this module in one
 * bundle; it holds containers, never anything of an invocation.
 */
import { Backend, type BackendService } from "@durable-trace/adapters/Backend"
import type { PluginServices } from "@durable-trace/adapters/DurablePlugin"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
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
  /**
   * The backend if it is built or can be built synchronously now (a synchronous hook's only way to build it);
   * undefined while an asynchronous build is under way or when the layer cannot be built.
   */
  readonly backendSync: () => BackendService | undefined
}

interface Registry {
  readonly byLayer: WeakMap<object, ContainerRuntime & { readonly flushAtLeast: (millis: number) => void }>
  current: ContainerRuntime | undefined
}

const REGISTRY = Symbol.for("@durable-trace/runtime/ContainerRuntime/registry")
const processWide = globalThis as { [REGISTRY]?: Registry }
processWide[REGISTRY] ??= { byLayer: new WeakMap(), current: undefined }
const registry: Registry = processWide[REGISTRY]

const build = <R>(layer: Layer.Layer<R | PluginServices>, flushMillis: number) => {
  const runtime = ManagedRuntime.make(layer)
  let flush = flushMillis
  let built: BackendService | undefined
  let pending: Promise<BackendService> | undefined
  // Once built, however it was built: SIGTERM flushes it (at most `flush`, within Shutdown's own bound), then
  // disposes the runtime so the layer's finalizers run.
  const onBuilt = (backend: BackendService): BackendService => {
    if (built !== undefined) return built
    built = backend
    onShutdown(() =>
      runtime
        .runPromise(Flush.bounded(backend, flush))
        .catch(() => undefined)
        .then(() => runtime.dispose())
    )
    return backend
  }
  return {
    runtime,
    backend: () =>
      (pending ??=
        built !== undefined ? Promise.resolve(built) : runtime.runPromise(Effect.service(Backend)).then(onBuilt)),
    backendSync: () => {
      if (built !== undefined) return built
      const exit = runtime.runSyncExit(Effect.service(Backend))
      return Exit.isSuccess(exit) ? onBuilt(exit.value) : undefined
    },
    flushAtLeast: (millis: number) => {
      flush = Math.max(flush, millis)
    }
  }
}

/** The container runtime of `layer` (one per layer object in the process), not yet built. */
const ofLayer = <R>(
  layer: Layer.Layer<R | PluginServices>,
  flushMillis: number
): ContainerRuntime & { readonly runtime: ManagedRuntime.ManagedRuntime<R | PluginServices, never> } => {
  const existing = registry.byLayer.get(layer)
  if (existing !== undefined) {
    existing.flushAtLeast(flushMillis)
    return existing as ContainerRuntime & { readonly runtime: ManagedRuntime.ManagedRuntime<R | PluginServices, never> }
  }
  const made = build(layer, flushMillis)
  registry.byLayer.set(layer, made)
  return made
}

/**
 * A traced entry point's runtime of `layer`, built on first use, and the process's `current` container. Once
 * built, SIGTERM flushes its backend (at most the largest `flushMillis` asked for it, and within Shutdown's own
 * bound) and then disposes it, so the layer's finalizers run. One per layer object: an extractor given the same
 * layer, or a second handler, shares it.
 */
export const make = <R>(
  layer: Layer.Layer<R | PluginServices>,
  flushMillis: number
): ContainerRuntime & { readonly runtime: ManagedRuntime.ManagedRuntime<R | PluginServices, never> } => {
  const container = ofLayer(layer, flushMillis)
  registry.current = container
  return container
}

/**
 * The runtime of `layer` for an extractor: the container a traced entry point made of the same layer object, or
 * one made now (with the same SIGTERM flush and disposal) that such an entry point made later shares.
 */
export const shared = <R>(
  layer: Layer.Layer<R | PluginServices>,
  flushMillis: number
): ContainerRuntime & { readonly runtime: ManagedRuntime.ManagedRuntime<R | PluginServices, never> } =>
  ofLayer(layer, flushMillis)

/** The container the process's traced entry point (`withDurableTracing`, `DurableEffect`, the plugin) made last. */
export const current = (): ContainerRuntime | undefined => registry.current

/**
 * A container runtime over services already built by someone else's runtime (an Effect app's): nothing is built
 * again, and its owner disposes it. It becomes the process's `current` container.
 */
export const fromContext = (services: Context.Context<PluginServices>): ContainerRuntime => {
  const backend = Context.get(services, Backend)
  const container: ContainerRuntime = {
    runtime: ManagedRuntime.make(Layer.succeedContext(services)),
    backend: () => Promise.resolve(backend),
    backendSync: () => backend
  }
  registry.current = container
  return container
}
