/**
 * Runs a function CDK bundled the way Lambda's Node runtime would, then drives one durable execution of it on the
 * SDK's local runner (in process, time skipped). Run as its own process, so the function's environment and
 * tracer are its own: `node runAsset.ts` with `LAMBDA_TASK_ROOT` (the asset directory), `_HANDLER` (the template's
 * Handler), `LAYER_ROOT` (what the layers mount at /opt/nodejs/node_modules; on NODE_PATH too, as in Lambda)
 * and `PAYLOAD` (the execution's input, JSON). Prints the outcome as one `{"durableRun":...}` line.
 */
import { existsSync } from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import type { DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"

const required = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const LAYER_MOUNT = "/opt/nodejs/node_modules/"

/** `module.export` as the runtime reads `_HANDLER`: the module relative to the task root, or absolute (a layer). */
const loadHandler = async (
  taskRoot: string,
  handler: string,
  layerRoot: string | undefined
): Promise<DurableLambdaHandler> => {
  const dot = handler.lastIndexOf(".")
  const modulePath = handler.slice(0, dot)
  const exportName = handler.slice(dot + 1)
  const base = modulePath.startsWith(LAYER_MOUNT)
    ? path.join(layerRoot ?? LAYER_MOUNT, modulePath.slice(LAYER_MOUNT.length))
    : path.resolve(taskRoot, modulePath)
  const file = [".mjs", ".cjs", ".js"].map((extension) => base + extension).find((candidate) => existsSync(candidate))
  if (file === undefined) throw new Error(`no module for handler ${handler} (looked for ${base}.{mjs,cjs,js})`)
  const loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  const fn = loaded[exportName] ?? (loaded.default as Record<string, unknown> | undefined)?.[exportName]
  if (typeof fn !== "function") throw new Error(`${file} exports no function ${exportName}`)
  return fn as DurableLambdaHandler
}

const handler = await loadHandler(required("LAMBDA_TASK_ROOT"), required("_HANDLER"), process.env.LAYER_ROOT)
await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
try {
  const result = await new LocalDurableTestRunner({ handlerFunction: handler }).run({
    payload: JSON.parse(required("PAYLOAD"))
  })
  const durableRun = {
    status: result.getStatus(),
    invocations: result.getInvocations().length,
    checkpoints: result
      .getOperations()
      .map((operation) => operation.getName())
      .filter((name) => name?.startsWith("_datadog_")),
    result: result.getResult()
  }
  console.log(JSON.stringify({ durableRun }))
} finally {
  await LocalDurableTestRunner.teardownTestEnvironment()
}
