/**
 * Runs one handler module (source or bundle) on the SDK's local runner and prints one JSON summary line, after
 * the spans the tracer printed: `node src/run.ts <module> [payload-json]`.
 */

import { pathToFileURL } from "node:url"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"

const [modulePath, payload = '{"orderId":"o-1"}'] = process.argv.slice(2)
if (modulePath === undefined) throw new Error("usage: run.ts <handler module> [payload]")
const loaded = (await import(pathToFileURL(modulePath).href)) as { handler?: unknown; default?: { handler?: unknown } }
const handler = loaded.handler ?? loaded.default?.handler
if (typeof handler !== "function") throw new Error(`${modulePath} exports no handler`)

await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
try {
  const runner = new LocalDurableTestRunner({ handlerFunction: handler as never })
  const result = await runner.run({ payload: JSON.parse(payload) })
  const checkpoints = result
    .getOperations()
    .map((operation) => operation.getName())
    .filter((name) => name?.startsWith("_datadog_"))
  // Let exporters flush what the last invocation finished.
  await new Promise((resolve) => setTimeout(resolve, 50))
  process.stdout.write(
    `${JSON.stringify({ summary: { status: result.getStatus(), invocations: result.getInvocations().length, checkpoints } })}\n`
  )
} finally {
  await LocalDurableTestRunner.teardownTestEnvironment()
}
