/**
 * Reading untrusted values without throwing. Events and Lambda contexts come from outside: in Lambda they are
 * parsed JSON, but a caller (a test runner, a wrapper, an attacker with a Proxy) can hand over objects whose
 * getters or Proxy traps throw, or a revoked Proxy, on which even `Array.isArray` throws. Every look-up of core
 * into such a value goes through here, so the functions documented as total are total on any value, not only
 * on JSON (SPEC §3: the reader never throws).
 */

/** `value[key]` when `value` is an object that owns `key`; `undefined` otherwise, and when reading throws. */
export const field = (value: unknown, key: string): unknown => {
  if (typeof value !== "object" || value === null) return undefined
  try {
    return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined
  } catch {
    return undefined
  }
}

/** Whether `value` is an array; `false` when asking throws (a revoked Proxy). */
export const isArray = (value: unknown): value is ReadonlyArray<unknown> => {
  try {
    return Array.isArray(value)
  } catch {
    return false
  }
}

/** `f()`, or `fallback` when it throws: for a walk over an untrusted value that touches it more than once. */
export const attempt = <A>(f: () => A, fallback: A): A => {
  try {
    return f()
  } catch {
    return fallback
  }
}

/**
 * The longest untrusted string core parses (a JSON carrier, an `x-datadog-tags` header): no propagation value
 * comes near it, so a longer one is rejected without spending a parse on it.
 */
export const MAX_PARSED_LENGTH = 16_384
