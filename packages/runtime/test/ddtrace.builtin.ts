/**
 * dd-trace with its built-in durable integration live, for the "their writer" interop tests: dd-trace hooks
 * `require` once initialised, so the SDK and the local runner are loaded through `require` after `init()` (a plain
 * CommonJS Lambda does exactly that). Import it first, in place of `ddtrace.offline.ts`.
 */
import "./ddtrace.offline.ts"

import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** The process's dd-trace, initialised. */
export const tracer: typeof import("dd-trace").default =
  (require("dd-trace") as typeof import("dd-trace")).default ?? require("dd-trace")
tracer.init()

/** The durable SDK, loaded after dd-trace's `init()` so that its built-in integration instruments it. */
export const sdk = require("@aws/durable-execution-sdk-js") as typeof import("@aws/durable-execution-sdk-js")

/** The SDK's local runner, loaded the same way. */
export const { LocalDurableTestRunner } =
  require("@aws/durable-execution-sdk-js-testing") as typeof import("@aws/durable-execution-sdk-js-testing")
