/**
 * How the client-lambda adapter names the SDK's final errors, on the SDK's own exception classes (the live
 * requests run in packages/runtime/test/Inspect.live.test.ts against a local Lambda API).
 */
import {
  LambdaServiceException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException
} from "@aws-sdk/client-lambda"
import { assert, describe, it } from "@effect/vitest"
import { reasonOf } from "../src/LambdaDurableExecutions.ts"

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, message: "m" })

const accessDenied = new LambdaServiceException({
  name: "AccessDeniedException",
  $fault: "client",
  ...metadata(403)
})
const timeout = Object.assign(new Error("socket hang up"), { name: "TimeoutError" })
const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })

const VECTORS: ReadonlyArray<readonly [string, unknown, string]> = [
  ["accessDenied_403", accessDenied, "access_denied"],
  ["notFound", new ResourceNotFoundException(metadata(404)), "not_found"],
  ["throttled_429", new TooManyRequestsException(metadata(429)), "throttled"],
  ["service_500", new ServiceException(metadata(500)), "service"],
  ["timeout", timeout, "timeout"],
  ["network_refused", refused, "network"],
  ["configuration_noRegion", new Error("Region is missing"), "configuration"],
  [
    "configuration_noCredentials",
    Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
    "configuration"
  ],
  [
    "invalid_400",
    new LambdaServiceException({ name: "InvalidParameterValueException", $fault: "client", ...metadata(400) }),
    "invalid_request"
  ]
]

describe("LambdaDurableExecutions.reasonOf", () => {
  for (const [name, error, reason] of VECTORS) it(name, () => assert.strictEqual(reasonOf(error), reason, name))
})
