/**
 * Ids in the lowercase hex the wire carries them in: W3C trace ids (32 hex) and span ids (16 hex), and the
 * operation ids of checkpoints. One definition of those forms, and of the conversion to the unsigned decimal
 * Datadog shows. Gotcha: an all-zero span id is "no id" in every format; the forms here do not exclude it.
 */

/** 16 lowercase hex: a span id, the low or high half of a trace id, an SDK step id. */
export const HEX16 = /^[0-9a-f]{16}$/

/** 32 lowercase hex: a 128-bit trace id, a checkpoint id of our writer. */
export const HEX32 = /^[0-9a-f]{32}$/

/** The all-zero 64-bit id: "no id" as a span id, "no high half" as the top of a trace id. */
export const ZERO_HEX16 = "0000000000000000"

/** Whether `value` is a span id: 16 lowercase hex, not all zero. */
export const isSpanId = (value: unknown): value is string =>
  typeof value === "string" && HEX16.test(value) && value !== ZERO_HEX16

/**
 * The low 64 bits of a hex id (its last 16 digits) in unsigned decimal: the id Datadog shows and logs carry
 * (`dd.trace_id` of a 128-bit trace id, a span id). `hex` must be hex digits.
 */
export const lowDecimal = (hex: string): string => BigInt(`0x${hex.slice(-16)}`).toString(10)
