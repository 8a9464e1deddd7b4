/**
 * A local Lambda API on 127.0.0.1 for the live-inspect tests: the read-only durable-execution operations, in
 * the service's REST-JSON shapes as `@aws-sdk/client-lambda` 3.1162's serializers define them
 * (`dist-es/schemas/schemas_0.js`):
 *
 * - `GetDurableExecution`: `GET /2025-12-01/durable-executions/{DurableExecutionArn}`
 * - `GetDurableExecutionHistory`: `GET /2025-12-01/durable-executions/{DurableExecutionArn}/history`
 *   (query `IncludeExecutionData`, `MaxItems`, `Marker`, `ReverseOrder`) -> `{ Events, NextMarker }`
 * - `GetDurableExecutionState`: `GET /2025-12-01/durable-executions/{DurableExecutionArn}/state` (query
 *   `CheckpointToken`, required, `Marker`, `MaxItems`) -> `{ Operations, NextMarker }`
 * - `ListDurableExecutionsByFunction`: `GET /2025-12-01/functions/{FunctionName}/durable-executions`
 *   (query `StartedAfter`, `StartedBefore`, `Statuses`, `ReverseOrder`, `MaxItems`, `Marker`) ->
 *   `{ DurableExecutions, NextMarker }`
 *
 * Timestamps are epoch seconds (REST-JSON's default); errors carry `x-amzn-errortype` and a JSON `message`.
 * Seeded with executions captured from the local runner; faults are queued per operation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

/** One execution the server knows. */
export interface SeededExecution {
  readonly arn: string
  readonly name: string
  readonly functionName: string
  readonly status: string
  /** Epoch milliseconds. */
  readonly start: number
  readonly end: number | undefined
  readonly history: ReadonlyArray<unknown>
  /** What `GetDurableExecutionState` lists. */
  readonly operations: ReadonlyArray<unknown>
}

export type Operation =
  | "GetDurableExecution"
  | "GetDurableExecutionHistory"
  | "GetDurableExecutionState"
  | "ListDurableExecutionsByFunction"

/** What the next matching request gets instead of its answer. */
export type Fault =
  | { readonly kind: "throttle" }
  | { readonly kind: "server_error" }
  | { readonly kind: "access_denied" }
  /** Never answers. */
  | { readonly kind: "hang" }
  /** Answers normally, but always with the same `NextMarker`. */
  | { readonly kind: "repeat_marker" }

export interface ServerOptions {
  readonly executions: ReadonlyArray<SeededExecution>
  /** Events per history page (the service caps it at `MaxItems`). */
  readonly historyPageSize?: number
  /** Operations per state page. */
  readonly statePageSize?: number
  /** Executions per listing page. */
  readonly listPageSize?: number
}

/** A request the server saw. */
export interface Seen {
  readonly method: string
  readonly operation: Operation | "unknown"
  readonly path: string
  readonly query: Readonly<Record<string, string>>
}

export interface LambdaServer {
  readonly endpoint: string
  readonly requests: ReadonlyArray<Seen>
  /** Queues `fault` for the next `times` requests of `operation`. */
  readonly fail: (operation: Operation, fault: Fault, times?: number) => void
  readonly close: () => Promise<void>
}

const TIMESTAMP_KEYS = new Set(["EventTimestamp", "StartTimestamp", "EndTimestamp", "ScheduledEndTimestamp"])

/** The captured events on the wire: ISO timestamps become epoch seconds. */
const wire = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value), (key, field: unknown) =>
    TIMESTAMP_KEYS.has(key) && typeof field === "string" ? Date.parse(field) / 1000 : field
  )

const send = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
    ...(errorType === undefined ? {} : { "x-amzn-errortype": errorType })
  })
  response.end(text)
}

const routes: ReadonlyArray<readonly [RegExp, Operation]> = [
  [/^\/2025-12-01\/durable-executions\/([^/]+)\/history$/, "GetDurableExecutionHistory"],
  [/^\/2025-12-01\/durable-executions\/([^/]+)\/state$/, "GetDurableExecutionState"],
  [/^\/2025-12-01\/durable-executions\/([^/]+)$/, "GetDurableExecution"],
  [/^\/2025-12-01\/functions\/([^/]+)\/durable-executions$/, "ListDurableExecutionsByFunction"]
]

const pageOf = <A>(items: ReadonlyArray<A>, marker: string | undefined, size: number) => {
  const from = marker === undefined ? 0 : Number(marker.replace(/^m/, ""))
  const page = items.slice(from, from + size)
  return { page, next: from + size < items.length ? `m${from + size}` : undefined }
}

/** Starts the server on an ephemeral port of 127.0.0.1. */
export const startLambdaServer = async (options: ServerOptions): Promise<LambdaServer> => {
  const requests: Array<Seen> = []
  const faults = new Map<Operation, Array<Fault>>()
  const hanging: Array<ServerResponse> = []
  const byArn = new Map(options.executions.map((e) => [e.arn, e]))

  const answer = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1")
    const query = Object.fromEntries(url.searchParams)
    const route = routes
      .map(([pattern, operation]) => [pattern.exec(url.pathname), operation] as const)
      .find(([m]) => m)
    requests.push({ method: request.method ?? "", operation: route?.[1] ?? "unknown", path: url.pathname, query })
    if (route === undefined || request.method !== "GET") {
      return send(response, 404, { message: `no route ${request.method} ${url.pathname}` }, "UnknownOperationException")
    }
    const [match, operation] = route
    const resource = decodeURIComponent(match![1]!)
    const fault = faults.get(operation)?.shift()
    if (fault?.kind === "hang") return hanging.push(response)
    if (fault?.kind === "throttle") {
      return send(
        response,
        429,
        { Type: "User", message: "Rate exceeded", Reason: "CallerRateLimitExceeded" },
        "TooManyRequestsException"
      )
    }
    if (fault?.kind === "server_error")
      return send(response, 500, { Type: "Service", message: "internal failure" }, "ServiceException")
    if (fault?.kind === "access_denied") {
      return send(
        response,
        403,
        {
          message: `User: arn:aws:iam::123456789012:user/reader is not authorized to perform: lambda:${operation} on resource: ${resource}`
        },
        "AccessDeniedException"
      )
    }
    const size = Math.min(Number(query.MaxItems ?? 1000) || 1000, 1000)
    if (operation === "ListDurableExecutionsByFunction") {
      const after = query.StartedAfter === undefined ? 0 : Date.parse(query.StartedAfter)
      const matching = options.executions
        .filter((e) => e.functionName === resource.replace(/^arn:.*:function:/, "").replace(/:.*$/, ""))
        .filter((e) => e.start > after)
        .sort((a, b) => (query.ReverseOrder === "true" ? b.start - a.start : a.start - b.start))
      const { page, next } = pageOf(matching, query.Marker, Math.min(size, options.listPageSize ?? 1000))
      return send(response, 200, {
        DurableExecutions: page.map((e) => ({
          DurableExecutionArn: e.arn,
          DurableExecutionName: e.name,
          FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${e.functionName}`,
          Status: e.status,
          StartTimestamp: e.start / 1000,
          ...(e.end === undefined ? {} : { EndTimestamp: e.end / 1000 })
        })),
        ...(next === undefined ? {} : { NextMarker: next })
      })
    }
    const execution = byArn.get(resource)
    if (execution === undefined) {
      return send(
        response,
        404,
        { Type: "User", message: `Execution not found: ${resource}` },
        "ResourceNotFoundException"
      )
    }
    if (operation === "GetDurableExecution") {
      return send(response, 200, {
        DurableExecutionArn: execution.arn,
        DurableExecutionName: execution.name,
        FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${execution.functionName}`,
        Status: execution.status,
        StartTimestamp: execution.start / 1000,
        ...(execution.end === undefined ? {} : { EndTimestamp: execution.end / 1000 })
      })
    }
    if (operation === "GetDurableExecutionState") {
      if (!query.CheckpointToken) {
        return send(
          response,
          400,
          { Type: "User", message: "CheckpointToken is required" },
          "InvalidParameterValueException"
        )
      }
      const { page, next } = pageOf(execution.operations, query.Marker, Math.min(size, options.statePageSize ?? 1000))
      return send(response, 200, { Operations: wire(page), ...(next === undefined ? {} : { NextMarker: next }) })
    }
    const { page, next } = pageOf(execution.history, query.Marker, Math.min(size, options.historyPageSize ?? 1000))
    const marker = fault?.kind === "repeat_marker" ? "m-again" : next
    if (fault?.kind === "repeat_marker") faults.set(operation, [fault, ...(faults.get(operation) ?? [])])
    return send(response, 200, { Events: wire(page), ...(marker === undefined ? {} : { NextMarker: marker }) })
  }

  const server = createServer(answer)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    fail: (operation, fault, times = 1) => {
      faults.set(operation, [...(faults.get(operation) ?? []), ...Array.from({ length: times }, () => fault)])
    },
    close: async () => {
      for (const response of hanging) response.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
