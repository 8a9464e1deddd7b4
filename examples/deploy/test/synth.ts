/**
 * Synthesizes both stacks offline (no AWS account: the stacks are environment-agnostic, and no lookup runs), with
 * NodejsFunction's local esbuild bundling, into a temporary cloud assembly.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { App } from "aws-cdk-lib"
import { Template } from "aws-cdk-lib/assertions"
import { DatadogStack, OpenTelemetryStack } from "../src/stacks.ts"

/**
 * NodejsFunction runs esbuild through the lock file's package manager (`pnpm exec esbuild`). pnpm is on PATH under
 * `pnpm test`; when the tests run another way (`node_modules/.bin/vitest`), a shim reaches it through npx.
 */
const ensurePnpm = (): ReadonlyArray<string> => {
  if (spawnSync("pnpm", ["--version"], { stdio: "ignore" }).status === 0) return []
  const dir = mkdtempSync(path.join(tmpdir(), "durable-trace-pnpm-"))
  const shim = path.join(dir, "pnpm")
  writeFileSync(shim, '#!/bin/sh\nexec npx -y pnpm@10 "$@"\n')
  chmodSync(shim, 0o755)
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH ?? ""}`
  return [dir]
}

export interface Synthesized {
  readonly outdir: string
  /** Directories made for the synthesis (the cloud assembly included), for the caller to remove. */
  readonly temporary: ReadonlyArray<string>
  readonly datadog: Template
  readonly openTelemetry: Template
  /** Wall-clock time of the synthesis, bundling included. */
  readonly millis: number
}

export const synthesize = (): Synthesized => {
  const shim = ensurePnpm()
  const outdir = mkdtempSync(path.join(tmpdir(), "durable-trace-cdk-"))
  const started = performance.now()
  const app = new App({ outdir })
  const datadog = new DatadogStack(app, "DurableTraceDatadog", { service: "orders", environmentName: "test" })
  const openTelemetry = new OpenTelemetryStack(app, "DurableTraceOpenTelemetry", {
    service: "orders",
    environmentName: "test",
    backendEndpoint: "https://otlp.example.test"
  })
  const templates = { datadog: Template.fromStack(datadog), openTelemetry: Template.fromStack(openTelemetry) }
  return { outdir, temporary: [...shim, outdir], ...templates, millis: performance.now() - started }
}

/** The one Lambda function of a template, with its properties. */
export const lambdaFunction = (template: Template) => {
  const functions = Object.values(template.findResources("AWS::Lambda::Function"))
  if (functions.length !== 1) throw new Error(`expected one function, found ${functions.length}`)
  return functions[0]!.Properties as {
    readonly Handler: string
    readonly Runtime: string
    readonly Code: { readonly S3Key: string }
    readonly Environment: { readonly Variables: Readonly<Record<string, unknown>> }
    readonly Layers: ReadonlyArray<unknown>
    readonly DurableConfig: unknown
  }
}

/** The directory CDK bundled the function's code into: `asset.<hash>` of the cloud assembly. */
export const assetDirectory = (outdir: string, template: Template): string =>
  path.join(outdir, `asset.${lambdaFunction(template).Code.S3Key.replace(/\.zip$/, "")}`)

/** The function's environment variables that are plain strings (CloudFormation intrinsics dropped). */
export const plainEnvironment = (template: Template): Record<string, string> =>
  Object.fromEntries(
    Object.entries(lambdaFunction(template).Environment.Variables).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string"
    )
  )
