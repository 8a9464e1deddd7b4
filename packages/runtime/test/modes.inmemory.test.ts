/** The modes suite on the in-memory backend: its links and sampling priorities as recorded. */
import * as InMemory from "@durable-trace/adapters/InMemory"
import type { Harness } from "./e2e.suite.ts"
import { runModes } from "./modes.suite.ts"

const memory = InMemory.make()

const inMemoryHarness: Harness = {
  name: "in-memory",
  backend: () => InMemory.layer(memory),
  reset: () => memory.reset(),
  spans: () =>
    memory.spans().map((span) => ({
      name: span.name,
      traceId: span.traceId,
      spanId: span.spanId,
      parentId: span.parentId,
      resource: span.resource,
      tags: span.tags,
      error: span.error !== undefined,
      links: span.links.map((link) => ({ traceId: link.traceId, spanId: link.spanId, role: link.role })),
      sampled: span.samplingPriority > 0
    }))
}

runModes(inMemoryHarness)
