/**
 * The CDK app: `cdk synth`, `cdk deploy DurableTraceDatadog` or `cdk deploy DurableTraceOpenTelemetry`, run from
 * examples/deploy. Settings come from CDK context (`-c key=value`, or "context" in cdk.json).
 */
import { App } from "aws-cdk-lib"
import { DatadogStack, OpenTelemetryStack } from "./stacks.ts"

const app = new App()
const context = (key: string): string | undefined => app.node.tryGetContext(key) ?? undefined
// The account and region of your AWS CLI profile (set by the CLI); unset, the stacks are environment-agnostic.
const { CDK_DEFAULT_ACCOUNT: account, CDK_DEFAULT_REGION: region } = process.env
const env = account !== undefined && region !== undefined ? { account, region } : undefined

new DatadogStack(app, "DurableTraceDatadog", {
  ...(env === undefined ? {} : { env }),
  site: context("datadogSite"),
  service: context("service"),
  environmentName: context("environment"),
  apiKeySecretArn: context("datadogApiKeySecretArn"),
  apiKeySecretName: context("datadogApiKeySecretName")
})

new OpenTelemetryStack(app, "DurableTraceOpenTelemetry", {
  ...(env === undefined ? {} : { env }),
  service: context("service"),
  environmentName: context("environment"),
  collectorLayerArn: context("otelCollectorLayerArn"),
  backendEndpoint: context("otelBackendEndpoint")
})

app.synth()
