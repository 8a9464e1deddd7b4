/**
 * One durable function traced by durable-trace, bundled locally with esbuild, with a least-privilege role: the
 * shared part of both stacks. The role grants only what the function calls: the durable execution APIs on its
 * own executions, and writes to its own log group. A tracer's own needs (the Datadog API key secret) are added by
 * the flavour.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Duration, RemovalPolicy } from "aws-cdk-lib"
import * as iam from "aws-cdk-lib/aws-iam"
import * as lambda from "aws-cdk-lib/aws-lambda"
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs"
import * as logs from "aws-cdk-lib/aws-logs"
import { Construct } from "constructs"

const here = path.dirname(fileURLToPath(import.meta.url))

/** The workspace root: NodejsFunction's project root, where pnpm-lock.yaml lives. */
export const WORKSPACE_ROOT = path.resolve(here, "../../..")

/** The durable execution APIs the SDK calls for the function's own executions (and nothing else). */
export const DURABLE_EXECUTION_ACTIONS = ["lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState"]

export interface TracedDurableFunctionProps {
  /** The handler module, under `src/handlers/`. */
  readonly entry: string
  /** Environment variables of the function. */
  readonly environment?: Readonly<Record<string, string>>
  /** Modules left out of the bundle because a layer provides them (dd-trace and datadog-lambda-js). */
  readonly externalModules?: ReadonlyArray<string>
  readonly layers?: ReadonlyArray<lambda.ILayerVersion>
  /** Files copied next to the bundle (the OpenTelemetry collector's configuration). */
  readonly extraFiles?: ReadonlyArray<string>
}

export class TracedDurableFunction extends Construct {
  readonly function: nodejs.NodejsFunction
  /** A published version: durable executions start from a qualified ARN (a version or an alias). */
  readonly version: lambda.Version
  readonly role: iam.Role
  readonly logGroup: logs.LogGroup

  constructor(scope: Construct, id: string, props: TracedDurableFunctionProps) {
    super(scope, id)

    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY
    })

    // Our own role: with `durableConfig` and no role, the CDK attaches AWSLambdaBasicDurableExecutionRolePolicy,
    // which allows the durable APIs and logs on every resource ("*").
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "durable-trace example: durable APIs on this function's executions, its own log group"
    })
    this.logGroup.grantWrite(this.role)

    const extraFiles = props.extraFiles ?? []
    this.function = new nodejs.NodejsFunction(this, "Function", {
      entry: path.join(here, "handlers", props.entry),
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      memorySize: 512,
      // One invocation's timeout; the execution as a whole may run for `executionTimeout`.
      timeout: Duration.seconds(30),
      durableConfig: { executionTimeout: Duration.days(1), retentionPeriod: Duration.days(14) },
      role: this.role,
      logGroup: this.logGroup,
      layers: [...(props.layers ?? [])],
      environment: { ...props.environment },
      projectRoot: WORKSPACE_ROOT,
      depsLockFilePath: path.join(WORKSPACE_ROOT, "pnpm-lock.yaml"),
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.CJS,
        target: "node24",
        sourceMap: true,
        // The SDK needs @aws-sdk/client-lambda >= 3.1014 (the durable APIs): bundle the tested one rather than
        // rely on the version the runtime ships.
        bundleAwsSDK: true,
        externalModules: [...(props.externalModules ?? [])],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) =>
            extraFiles.map((file) => `cp "${path.join(inputDir, path.relative(WORKSPACE_ROOT, file))}" "${outputDir}"`)
        }
      }
    })

    this.version = this.function.currentVersion

    // The durable APIs authorise against the execution's ARN, `<function ARN>:<version>/durable-execution/...`:
    // `:*` matches this function's executions of every version, and no other function's. A separate policy (not
    // the role's default one, which the function depends on) so that naming the function's ARN makes no cycle.
    new iam.Policy(this, "DurableExecutionPolicy", {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: DURABLE_EXECUTION_ACTIONS,
          resources: [`${this.function.functionArn}:*`]
        })
      ]
    })
  }
}
