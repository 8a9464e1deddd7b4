/**
 * The container runtime (SPEC §4.8, §10): one per layer object in the process, built once whichever way it is first
 * asked for (the synchronous hook of an extractor, or a wrapped handler's first invocation), and the process's
 * traced entry point's container is the one a backend-less extractor finds.
 */
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ContainerRuntime from "../src/ContainerRuntime.ts"

const counting = (build: Effect.Effect<BackendLayer>) => {
  const counter = { builds: 0 }
  const layer: BackendLayer = Layer.unwrap(Effect.tap(build, () => Effect.sync(() => counter.builds++)))
  return { counter, layer }
}

describe("ContainerRuntime", () => {
  it("one container per layer object: an entry point and an extractor given it share one build", async () => {
    const { counter, layer } = counting(Effect.sync(() => InMemory.layer()))
    const extractor = ContainerRuntime.shared(layer, 100)
    const handler = ContainerRuntime.make(layer, 2_000)
    assert.strictEqual(handler, extractor)
    assert.strictEqual(ContainerRuntime.current(), handler, "the entry point's container is the process's")
    const sync = extractor.backendSync()
    assert.isDefined(sync)
    assert.strictEqual(await handler.backend(), sync, "the synchronous build is the one the handler gets")
    assert.strictEqual(counter.builds, 1)
    assert.notStrictEqual(ContainerRuntime.make(InMemory.layer(), 2_000), handler, "another layer, another one")
  })

  it("an asynchronous layer cannot be built synchronously, and is still built once for the asynchronous caller", async () => {
    const { counter, layer } = counting(Effect.promise(() => Promise.resolve(InMemory.layer())))
    const container = ContainerRuntime.shared(layer, 100)
    assert.isUndefined(container.backendSync())
    const built = await container.backend()
    assert.strictEqual(container.backendSync(), built, "once built, synchronously available")
    assert.strictEqual(counter.builds, 1)
  })

  it("a layer that cannot be built: rejected every time, never a backend synchronously", async () => {
    const layer: BackendLayer = Layer.unwrap(Effect.die("no backend"))
    const container = ContainerRuntime.make(layer, 100)
    assert.isUndefined(container.backendSync())
    for (let i = 0; i < 2; i++) {
      const failed = await container.backend().then(
        () => false,
        () => true
      )
      assert.isTrue(failed)
    }
  })
})
