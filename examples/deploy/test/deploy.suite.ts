/**
 * The deployment example, verified offline: both stacks synthesize without an AWS account, their templates say
 * what the README promises (durable config, runtime, handler, environment, layers, least-privilege IAM), and the
 * code CDK bundled, run as Lambda would load it (through datadog-lambda-js's handler redirect for Datadog), keeps
 * one trace across the three invocations of a durable execution on the SDK's local runner.
 */
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Match, type Template } from "aws-cdk-lib/assertions"
import { DURABLE_EXECUTION_ACTIONS } from "../src/TracedDurableFunction.ts"
import { assetDirectory, lambdaFunction, plainEnvironment, type Synthesized, synthesize } from "./synth.ts"

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))

/** Directories the suite made, removed at the end. */
const temporary: Array<string> = []

/**
 * What the Datadog Node layer mounts at /opt/nodejs/node_modules, from the installed packages: datadog-lambda-js
 * with its `dist` at the package root (where the redirected handler points) and dd-trace.
 */
const datadogLayer = (): string => {
  const installed = (name: string) => realpathSync(path.resolve(here, "../node_modules", name))
  const opt = mkdtempSync(path.join(tmpdir(), "durable-trace-layer-"))
  temporary.push(opt)
  const root = path.join(opt, "nodejs", "node_modules")
  mkdirSync(root, { recursive: true })
  symlinkSync(path.join(installed("datadog-lambda-js"), "dist"), path.join(root, "datadog-lambda-js"))
  symlinkSync(installed("dd-trace"), path.join(root, "dd-trace"))
  return root
}
const ORDER = { orderId: "o-1" }
const SHIPMENT = { reservation: "res_o-1", charged: true, shipped: true }

interface DurableRun {
  readonly status: string
  readonly invocations: number
  readonly checkpoints: ReadonlyArray<string>
  readonly result: unknown
}

/** Runs the bundled function in its own process, with the template's environment plus `overrides`. */
const runBundled = async (
  template: Template,
  outdir: string,
  layerRoot: string | undefined,
  overrides: Record<string, string>
) => {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(DD_|OTEL_|DURABLE_TRACE_|AWS_|LAMBDA_|_HANDLER)/.test(name))
  )
  const taskRoot = assetDirectory(outdir, template)
  const { stdout } = await run(process.execPath, [path.join(here, "runAsset.ts")], {
    cwd: taskRoot,
    env: {
      ...inherited,
      ...plainEnvironment(template),
      AWS_LAMBDA_FUNCTION_NAME: "orders",
      AWS_REGION: "us-east-1",
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: lambdaFunction(template).Handler,
      ...(layerRoot === undefined ? {} : { LAYER_ROOT: layerRoot, NODE_PATH: layerRoot }),
      PAYLOAD: JSON.stringify(ORDER),
      ...overrides
    },
    timeout: 90_000,
    maxBuffer: 64 * 1024 * 1024
  })
  const lines = stdout.split("\n")
  const outcome = lines.find((line) => line.startsWith('{"durableRun":'))
  assert.isDefined(outcome, `no outcome printed:\n${stdout}`)
  return { run: (JSON.parse(outcome!) as { durableRun: DurableRun }).durableRun, lines }
}

const assertCompleted = (durableRun: DurableRun) => {
  assert.strictEqual(durableRun.status, "SUCCEEDED")
  assert.isAtLeast(durableRun.invocations, 3, "two waits: three invocations")
  assert.include(durableRun.checkpoints, "_datadog_0", "durable-trace wrote its checkpoint")
  assert.deepStrictEqual(durableRun.result, SHIPMENT)
}

/** Every IAM statement of a template. */
const statements = (template: Template) =>
  Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
    (policy) =>
      (policy.Properties as { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } })
        .PolicyDocument.Statement
  )

const functionLogicalId = (template: Template) => Object.keys(template.findResources("AWS::Lambda::Function"))[0]!

/** The checks both flavours share: durable config, runtime, bundling, least privilege. */
const assertCommon = (template: Template) => {
  template.hasResourceProperties("AWS::Lambda::Function", {
    Runtime: "nodejs24.x",
    DurableConfig: { ExecutionTimeout: 86_400, RetentionPeriodInDays: 14 },
    Environment: { Variables: Match.objectLike({ DURABLE_TRACE_WRITE_TIMEOUT_MS: "2000" }) }
  })
  // Executions start from a qualified ARN: a published version.
  template.resourceCountIs("AWS::Lambda::Version", 1)
  // The CDK's default role for durable functions carries a managed policy allowing "*": ours has none.
  template.resourceCountIs("AWS::IAM::Role", 1)
  template.hasResourceProperties("AWS::IAM::Role", { ManagedPolicyArns: Match.absent() })
  // The durable APIs on this function's own executions (every version), and nothing else.
  template.hasResourceProperties("AWS::IAM::Policy", {
    PolicyDocument: {
      Statement: [
        {
          Action: DURABLE_EXECUTION_ACTIONS,
          Effect: "Allow",
          Resource: { "Fn::Join": ["", [{ "Fn::GetAtt": [functionLogicalId(template), "Arn"] }, ":*"]] }
        }
      ]
    }
  })
  template.hasResourceProperties("AWS::IAM::Policy", {
    PolicyDocument: {
      Statement: Match.arrayWith([
        { Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Effect: "Allow", Resource: Match.anyValue() }
      ])
    }
  })
  for (const statement of statements(template)) {
    assert.notStrictEqual(statement.Resource, "*", `no statement on every resource: ${JSON.stringify(statement)}`)
  }
}

describe("deployment example (examples/deploy)", () => {
  let synthesized: Synthesized
  beforeAll(() => {
    synthesized = synthesize()
    temporary.push(...synthesized.temporary)
    console.log(`cdk synth of both stacks, esbuild bundling included: ${Math.round(synthesized.millis)} ms`)
  }, 120_000)
  afterAll(() => {
    for (const directory of temporary) rmSync(directory, { recursive: true, force: true })
  })

  describe("Datadog: DatadogLambda, the Node and extension layers, the handler redirect", () => {
    it("synthesizes the durable function, instrumented the way Datadog's construct does it", () => {
      const template = synthesized.datadog
      assertCommon(template)
      template.hasResourceProperties("AWS::Lambda::Function", {
        // The redirect: datadog-lambda-js loads our handler from DD_LAMBDA_HANDLER and wraps it in datadog().
        Handler: "/opt/nodejs/node_modules/datadog-lambda-js/handler.handler",
        Environment: {
          Variables: Match.objectLike({
            DD_LAMBDA_HANDLER: "index.handler",
            DD_SITE: "datadoghq.com",
            DD_SERVICE: "orders",
            DD_ENV: "test",
            DD_API_KEY_SECRET_ARN: Match.anyValue(),
            DD_TRACE_ENABLED: "true",
            DD_SERVERLESS_LOGS_ENABLED: "true",
            DD_TRACE_AWS_DURABLE_EXECUTION_SDK_JS_ENABLED: "false"
          })
        }
      })
      const layers = JSON.stringify(lambdaFunction(template).Layers)
      assert.match(layers, /:464622532012:layer:Datadog-Node24-x:\d+/)
      assert.match(layers, /:464622532012:layer:Datadog-Extension:\d+/)
      // The API key: read access to that one secret, nothing wider.
      const secretRead = statements(template).filter((s) => JSON.stringify(s.Action).includes("secretsmanager:"))
      assert.strictEqual(secretRead.length, 1)
      assert.deepStrictEqual(secretRead[0]!.Action, ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"])
      assert.match(JSON.stringify(secretRead[0]!.Resource), /:secret:datadog\/api-key-\?\?\?\?\?\?"/)
      // No Forwarder subscription beside the extension's logs: each line would arrive twice.
      template.resourceCountIs("AWS::Logs::SubscriptionFilter", 0)
      // dd-trace and datadog-lambda-js come from the layer, not the bundle.
      const bundle = readFileSync(path.join(assetDirectory(synthesized.outdir, template), "index.js"), "utf8")
      assert.match(bundle, /require\("dd-trace"\)/)
      assert.notMatch(bundle, /packages\/dd-trace\/src\/tracer/)
    })

    it("the bundled function, behind datadog-lambda-js, keeps one trace across three invocations", async () => {
      const { run: durableRun, lines } = await runBundled(synthesized.datadog, synthesized.outdir, datadogLayer(), {
        // Offline: dd-trace prints finished spans as JSON lines (what it does in Lambda without the extension).
        DD_TRACE_EXPERIMENTAL_EXPORTER: "log",
        DD_REMOTE_CONFIGURATION_ENABLED: "false",
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: "false",
        DD_ENHANCED_METRICS: "false",
        DD_COLD_START_TRACING: "false"
      })
      assertCompleted(durableRun)
      const spans = lines
        .filter((line) => line.startsWith('{"traces":'))
        .flatMap(
          (line) =>
            (JSON.parse(line) as { traces: Array<Array<{ name: string; trace_id: string; service: string }>> }).traces
        )
        .flat()
      const named = (name: string) => spans.filter((span) => span.name === name)
      assert.strictEqual(named("aws.durable.execute").length, durableRun.invocations, "one execute span per invocation")
      // datadog-lambda-js's own span: the redirect wrapped our handler on every invocation.
      assert.isAtLeast(named("aws.lambda").length, durableRun.invocations)
      assert.strictEqual(new Set(spans.map((span) => span.trace_id)).size, 1, "every span in one trace")
    }, 120_000)
  })

  describe("OpenTelemetry: a collector extension layer and its collector.yaml", () => {
    it("synthesizes the durable function with the collector layer and its configuration", () => {
      const template = synthesized.openTelemetry
      assertCommon(template)
      template.hasResourceProperties("AWS::Lambda::Function", {
        Handler: "index.handler",
        Environment: {
          Variables: Match.objectLike({
            OTEL_SERVICE_NAME: "orders",
            OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318",
            OPENTELEMETRY_COLLECTOR_CONFIG_URI: "/var/task/collector.yaml",
            OTEL_BACKEND_ENDPOINT: "https://otlp.example.test"
          })
        }
      })
      assert.match(JSON.stringify(lambdaFunction(template).Layers), /:layer:opentelemetry-collector-amd64-/)
      // The collector's configuration ships in the bundle, where OPENTELEMETRY_COLLECTOR_CONFIG_URI points.
      const config = readFileSync(path.join(assetDirectory(synthesized.outdir, template), "collector.yaml"), "utf8")
      assert.match(config, /endpoint: localhost:4318/)
      assert.match(config, /endpoint: \$\{env:OTEL_BACKEND_ENDPOINT\}/)
      // No Datadog permission in this flavour.
      assert.notMatch(JSON.stringify(statements(template)), /secretsmanager/)
    })

    it("the bundled function exports one trace across three invocations, flushed by each", async () => {
      // The collector extension's receiver, on loopback: OTLP/HTTP JSON, as the function's exporter sends it.
      const requests: Array<{
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }
          scopeSpans: Array<{ spans: Array<{ name: string; traceId: string }> }>
        }>
      }> = []
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          if (request.url === "/v1/traces") requests.push(JSON.parse(Buffer.concat(chunks).toString("utf8")))
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      try {
        const { port } = server.address() as AddressInfo
        const { run: durableRun } = await runBundled(synthesized.openTelemetry, synthesized.outdir, undefined, {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`
        })
        assertCompleted(durableRun)
        // Each invocation force-flushes before it returns: nothing waits in the batch queue across a suspend.
        assert.isAtLeast(requests.length, durableRun.invocations)
        const resourceSpans = requests.flatMap((body) => body.resourceSpans)
        const spans = resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans))
        const serviceNames = resourceSpans.map(
          (resource) => resource.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue
        )
        assert.deepStrictEqual([...new Set(serviceNames)], ["orders"])
        assert.strictEqual(spans.filter((span) => span.name === "aws.durable.execute").length, durableRun.invocations)
        assert.strictEqual(new Set(spans.map((span) => span.traceId)).size, 1, "every span in one trace")
      } finally {
        await new Promise((resolve) => server.close(resolve))
      }
    }, 120_000)
  })
})
