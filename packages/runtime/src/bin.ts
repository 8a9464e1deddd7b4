#!/usr/bin/env node
/**
 * The `durable-trace` executable: runs `cli.ts` on Node's platform services. Node 24 runs it as TypeScript
 * directly (type stripping): `node packages/runtime/src/bin.ts inspect event.json`. The exit code comes from the
 * failure (`InputError` 1, `UsageError` 2); both have already printed their message, so runMain reports nothing.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import { main } from "./cli.ts"

NodeRuntime.runMain(Effect.provide(main, NodeServices.layer), { disableErrorReporting: true })
