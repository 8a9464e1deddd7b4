/**
 * Trace context for chained invokes (`context.invoke`): the invoked function's first invocation continues the
 * caller's trace, as a child of the caller's `aws.durable.invoke` span (SPEC §9). The SDK carries nothing but the
 * input to the invoked function, so the carrier travels inside it, as a `_datadog` member (allowlisted headers
 * only), where the callee's reader looks first (SPEC §3.3c).
 *
 * The callee's own input type is left intact: `withDurableTracing` removes `_datadog` before the callee's handler
 * sees its input, when it is a carrier as written here (anything else under that name is the caller's own). A callee not wrapped by durable-trace sees the extra `_datadog` member. Inputs that do not
 * serialise to a JSON object (strings, arrays, numbers) are sent unchanged, without context.
 */

import { defaultSerdes, type InvokeConfig, type Serdes } from "@aws/durable-execution-sdk-js"
import { DurableTracePlugin } from "@durable-trace/adapters/DurablePlugin"
import * as DatadogHeaders from "@durable-trace/core/DatadogHeaders"
import * as Headers from "@durable-trace/core/Headers"

/** The input member that carries the caller's context. */
export const CARRIER = DatadogHeaders.DATADOG_CARRIER

const addCarrier = (serialized: string, carrier: Readonly<Record<string, string>>): string => {
  try {
    const value: unknown = JSON.parse(serialized)
    if (typeof value !== "object" || value === null || Array.isArray(value) || Object.hasOwn(value, CARRIER)) {
      return serialized
    }
    return JSON.stringify({ ...value, [CARRIER]: carrier })
  } catch {
    return serialized
  }
}

/**
 * An `InvokeConfig` whose payload carries the trace context to the invoked function; pass your own config to
 * keep its serdes and tenant.
 *
 * @example
 * ```ts
 * import { withTraceContext } from "@durable-trace/runtime/Invoke"
 *
 * const receipt = await context.invoke("charge", "payments-function", { orderId }, withTraceContext())
 * ```
 */
export const withTraceContext = <I, O>(config: InvokeConfig<I, O> = {}): InvokeConfig<I, O> => {
  const inner: Serdes<I> = config.payloadSerdes ?? (defaultSerdes as Serdes<I>)
  return {
    ...config,
    payloadSerdes: {
      serialize: async (value, context) => {
        // The user's serdes may throw (the SDK then fails the execution, as it would without us); ours never does.
        const serialized = await inner.serialize(value, context)
        if (serialized === undefined) return serialized
        try {
          const carrier = await DurableTracePlugin.forExecution(context.durableExecutionArn)?.invokeCarrier(
            context.durableExecutionArn,
            context.entityId
          )
          return carrier === undefined ? serialized : addCarrier(serialized, carrier)
        } catch {
          return serialized
        }
      },
      deserialize: inner.deserialize
    }
  }
}

/**
 * The input without the carrier member, for the callee's handler (a shallow copy; other inputs as they are). Only
 * a member that is a carrier as `withTraceContext` writes one is removed: a `_datadog` the caller put there for
 * its own reasons reaches the handler as it would untraced.
 */
export const withoutCarrier = <A>(input: A): A => {
  if (typeof input !== "object" || input === null || Array.isArray(input) || !Object.hasOwn(input, CARRIER)) {
    return input
  }
  if (!Headers.isWrittenCarrier((input as Record<string, unknown>)[CARRIER])) return input
  const { [CARRIER]: _carrier, ...rest } = input as Record<string, unknown>
  return rest as A
}
