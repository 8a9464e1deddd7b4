/**
 * The two flavours of the traced durable function, one stack each: Datadog (through Datadog's own CDK construct,
 * the way Datadog CDK users instrument functions) and OpenTelemetry (through a collector extension layer).
 * Deploy either: `cdk deploy DurableTraceDatadog` or `cdk deploy DurableTraceOpenTelemetry`.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib"
import * as lambda from "aws-cdk-lib/aws-lambda"
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager"
import type { Construct } from "constructs"
import { DatadogDefaultLayerVersions, DatadogLambda } from "datadog-cdk-constructs-v2"
import { TracedDurableFunction } from "./TracedDurableFunction.ts"

const here = path.dirname(fileURLToPath(import.meta.url))

/** The collector configuration shipped next to the OpenTelemetry bundle. */
export const COLLECTOR_CONFIG = path.resolve(here, "../collector/collector.yaml")

/** durable-trace's own settings, the same in both flavours (README "Configuration"). */
const DURABLE_TRACE_ENV = {
  // Upper bound of the suspend-time checkpoint write, and the margin kept before the invocation's deadline.
  DURABLE_TRACE_WRITE_TIMEOUT_MS: "2000",
  DURABLE_TRACE_DEADLINE_MARGIN_MS: "500"
}

export interface DatadogStackProps extends StackProps {
  /** `DD_SITE`: datadoghq.com, datadoghq.eu, us3.datadoghq.com, ... */
  readonly site?: string | undefined
  /** `DD_SERVICE` */
  readonly service?: string | undefined
  /** `DD_ENV` */
  readonly environmentName?: string | undefined
  /** The complete ARN of the Secrets Manager secret holding the Datadog API key (plain text). */
  readonly apiKeySecretArn?: string | undefined
  /** The secret's name, when no ARN is given (default `datadog/api-key`). */
  readonly apiKeySecretName?: string | undefined
}

export class DatadogStack extends Stack {
  readonly traced: TracedDurableFunction

  constructor(scope: Construct, id: string, props: DatadogStackProps = {}) {
    super(scope, id, props)
    const service = props.service ?? "orders"
    const env = props.environmentName ?? "dev"

    this.traced = new TracedDurableFunction(this, "Orders", {
      entry: "datadog.ts",
      // The Datadog Node layer provides both, and its dd-trace is the one datadog-lambda-js initialised. dd-trace is
      // not made to be bundled (native modules, instrumentation hooks on require).
      externalModules: ["dd-trace", "datadog-lambda-js"],
      environment: {
        ...DURABLE_TRACE_ENV,
        // dd-trace's built-in durable integration writes checkpoints too; two writers fork the `_datadog_{N}`
        // numbering. `DdTrace.make` turns it off in code as well; the variable covers the layer's early init.
        // (Not DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED=false: that turns off durable-trace's writer as well.)
        DD_TRACE_AWS_DURABLE_EXECUTION_SDK_JS_ENABLED: "false"
      }
    })

    const apiKey =
      props.apiKeySecretArn === undefined
        ? secretsmanager.Secret.fromSecretNameV2(this, "DatadogApiKey", props.apiKeySecretName ?? "datadog/api-key")
        : secretsmanager.Secret.fromSecretCompleteArn(this, "DatadogApiKey", props.apiKeySecretArn)

    const datadog = new DatadogLambda(this, "Datadog", {
      // Pinned by the construct's version: the Datadog-Node24-x layer (datadog-lambda-js with dd-trace) and the
      // Datadog extension, which receives the spans and flushes them at the end of each invocation.
      nodeLayerVersion: DatadogDefaultLayerVersions.NODE,
      extensionLayerVersion: DatadogDefaultLayerVersions.EXTENSION,
      // Grants the function secretsmanager:GetSecretValue on this secret only; the extension reads it at start.
      apiKeySecret: apiKey,
      site: props.site ?? "datadoghq.com",
      service,
      env,
      version: "0.1.0",
      // The extension ships the function's logs. Do not also subscribe a Datadog Forwarder to the log group
      // (forwarderArn): every line would arrive twice.
      enableDatadogLogs: true,
      // The default handler redirect: datadog-lambda-js wraps our handler in `datadog()`, which makes the
      // aws.lambda span and flushes the tracer per invocation. durable-trace's spans nest under it.
      redirectHandler: true,
      // Git metadata comes from the build machine's checkout; an example has none worth tagging.
      sourceCodeIntegration: false
    })
    datadog.addLambdaFunctions([this.traced.function])

    new CfnOutput(this, "FunctionName", { value: this.traced.function.functionName })
    new CfnOutput(this, "InvokeArn", { value: this.traced.version.functionArn })
  }
}

export interface OpenTelemetryStackProps extends StackProps {
  readonly service?: string | undefined
  readonly environmentName?: string | undefined
  /**
   * The collector extension layer: OpenTelemetry's Lambda collector (opentelemetry-lambda releases, "layer-collector")
   * or your vendor's. Its region must be the stack's.
   */
  readonly collectorLayerArn?: string | undefined
  /** Where the collector sends traces (OTLP/HTTP), e.g. https://otlp.example.com. */
  readonly backendEndpoint?: string | undefined
}

export class OpenTelemetryStack extends Stack {
  readonly traced: TracedDurableFunction

  constructor(scope: Construct, id: string, props: OpenTelemetryStackProps = {}) {
    super(scope, id, props)
    const collectorLayerArn =
      props.collectorLayerArn ??
      `arn:${this.partition}:lambda:${this.region}:184161586896:layer:opentelemetry-collector-amd64-0_22_0:1`

    this.traced = new TracedDurableFunction(this, "Orders", {
      entry: "opentelemetry.ts",
      layers: [lambda.LayerVersion.fromLayerVersionArn(this, "Collector", collectorLayerArn)],
      extraFiles: [COLLECTOR_CONFIG],
      environment: {
        ...DURABLE_TRACE_ENV,
        OTEL_SERVICE_NAME: props.service ?? "orders",
        DEPLOYMENT_ENVIRONMENT: props.environmentName ?? "dev",
        // The collector extension reads its configuration from the bundle (copied next to index.js).
        OPENTELEMETRY_COLLECTOR_CONFIG_URI: "/var/task/collector.yaml",
        // The function exports to the extension on localhost (the exporter's default, made explicit).
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://localhost:4318",
        // Read by collector.yaml.
        OTEL_BACKEND_ENDPOINT: props.backendEndpoint ?? "https://otlp.example.com"
      }
    })

    new CfnOutput(this, "FunctionName", { value: this.traced.function.functionName })
    new CfnOutput(this, "InvokeArn", { value: this.traced.version.functionArn })
  }
}
