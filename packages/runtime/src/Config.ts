/**
 * durable-trace's settings and where they come from: options passed in code win over the environment, which
 * wins over the defaults. Both sources go through the same validators, here and only here: a value that is not
 * valid (a negative margin, a fractional timeout, a non-boolean switch) is ignored, whichever source it came
 * from, and `invalidOptions` names the options in code that were. `fromEnv` is a plain parser because the plain wrapper runs it on every cold start and
 * Effect's `Config` module loads Schema (its import cost: bench/RESULTS.md, measurement notes);
 * `ConfigEffect.config` reads the same keys through Effect `Config` for Effect apps.
 */
import * as InvocationSpan from "@durable-trace/core/InvocationSpan"
import * as Sampling from "@durable-trace/core/Sampling"
import * as TraceMode from "@durable-trace/core/TraceMode"
import * as Option from "effect/Option"

/** Every environment variable durable-trace reads, with its default. */
export const ENV = {
  /** Writing checkpoints on suspend (SPEC §4.1). Datadog's own writer honours the same switch. */
  enabled: { name: "DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED", default: true },
  /** `dd.service` in log lines. */
  service: { name: "DD_SERVICE", default: undefined },
  /** `dd.env` in log lines. */
  env: { name: "DD_ENV", default: undefined },
  /** Upper bound of the suspend write, ms. */
  writeTimeoutMillis: { name: "DURABLE_TRACE_WRITE_TIMEOUT_MS", default: 2000 },
  /** Upper bound of the reader's paging through the execution state, ms (SPEC §3.3b). */
  readTimeoutMillis: { name: "DURABLE_TRACE_READ_TIMEOUT_MS", default: 1000 },
  /** Time kept free before the Lambda deadline, ms. */
  deadlineMarginMillis: { name: "DURABLE_TRACE_DEADLINE_MARGIN_MS", default: 500 },
  /** Persist `_datadog_0` in the SDK's first checkpoint batch, so a crash before suspending keeps the trace. */
  earlyCheckpoint: { name: "DURABLE_TRACE_EARLY_CHECKPOINT", default: true },
  /** Which span is the invocation span: `auto` (an outer wrapper's when one is active), `standalone`, `outer`. */
  invocationSpan: { name: "DURABLE_TRACE_INVOCATION_SPAN", default: "auto" },
  /** `continuous` (one trace per execution) or `linked` (one per invocation, joined by span links). */
  traceMode: { name: "DURABLE_TRACE_MODE", default: "continuous" },
  /** The share of executions kept, 0 to 1, decided per execution; unset leaves the decision to the tracer. */
  sampleRatio: { name: "DURABLE_TRACE_SAMPLE_RATIO", default: undefined }
} as const

/** Resolved settings. */
export interface DurableTraceConfig {
  readonly enabled: boolean
  readonly service: string | undefined
  readonly env: string | undefined
  readonly writeTimeoutMillis: number
  readonly readTimeoutMillis: number
  readonly deadlineMarginMillis: number
  readonly earlyCheckpoint: boolean
  readonly invocationSpan: InvocationSpan.Setting
  readonly traceMode: TraceMode.Mode
  readonly sampleRatio: number | undefined
}

const TRUE = new Set(["true", "1", "yes", "on"])
const FALSE = new Set(["false", "0", "no", "off"])
/** Longest bound accepted, ms: nine digits, about 11.5 days, far beyond any Lambda deadline. */
const MAX_MILLIS = 999_999_999

/** A boolean setting: a boolean, or `true/1/yes/on`, `false/0/no/off` (any case); anything else is invalid. */
const booleanOf = (value: unknown): boolean | undefined => {
  if (typeof value === "boolean") return value
  const normalized = typeof value === "string" ? value.trim().toLowerCase() : undefined
  if (normalized === undefined) return undefined
  if (TRUE.has(normalized)) return true
  if (FALSE.has(normalized)) return false
  return undefined
}

/** A whole number of milliseconds from 0 to `MAX_MILLIS`, as a number or in decimal digits; else invalid. */
const millisOf = (value: unknown): number | undefined => {
  if (typeof value === "number")
    return Number.isSafeInteger(value) && value >= 0 && value <= MAX_MILLIS ? value : undefined
  const trimmed = typeof value === "string" ? value.trim() : undefined
  return trimmed !== undefined && /^[0-9]{1,9}$/.test(trimmed) ? Number(trimmed) : undefined
}

/** A non-empty string, trimmed; else invalid. */
const textOf = (value: unknown): string | undefined => {
  const trimmed = typeof value === "string" ? value.trim() : undefined
  return trimmed === undefined || trimmed.length === 0 ? undefined : trimmed
}

/** The validator of each setting: the one place a raw value becomes a setting. */
const VALIDATORS: { readonly [K in keyof DurableTraceConfig]: (value: unknown) => DurableTraceConfig[K] | undefined } =
  {
    enabled: booleanOf,
    service: textOf,
    env: textOf,
    writeTimeoutMillis: millisOf,
    readTimeoutMillis: millisOf,
    deadlineMarginMillis: millisOf,
    earlyCheckpoint: booleanOf,
    invocationSpan: (value) =>
      typeof value === "string" ? Option.getOrUndefined(InvocationSpan.parseSetting(value)) : undefined,
    traceMode: (value) => Option.getOrUndefined(TraceMode.parseMode(value)),
    sampleRatio: (value) => Option.getOrUndefined(Sampling.parseRatio(value))
  }

/** A boolean setting: `true/1/yes/on`, `false/0/no/off` (any case); anything else keeps the default. */
export const parseBoolean = (value: string | undefined, fallback: boolean): boolean => booleanOf(value) ?? fallback

/** A non-negative whole number of milliseconds; anything else keeps the default. */
export const parseMillis = (value: string | undefined, fallback: number): number => millisOf(value) ?? fallback

/** The settings from a source of raw values by variable name: the one parser both readers share. */
export const resolve = (read: (name: string) => string | undefined): DurableTraceConfig => {
  const result: Record<string, unknown> = {}
  for (const key of Object.keys(ENV) as Array<keyof DurableTraceConfig>) {
    result[key] = VALIDATORS[key](read(ENV[key].name)) ?? ENV[key].default
  }
  return result as unknown as DurableTraceConfig
}

/** Reads the settings from `env` (default `process.env`). */
export const fromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): DurableTraceConfig =>
  resolve((name) => env[name])

/** Options given in code, each optional. */
export type Overrides = { readonly [K in keyof DurableTraceConfig]?: DurableTraceConfig[K] | undefined }

/**
 * Options in code override the environment, key by key: an `undefined` option does not, nor does an invalid one
 * (`invalidOptions` names those). A negative `deadlineMarginMillis` would let the write run past the deadline.
 */
export const merge = (base: DurableTraceConfig, overrides: Overrides): DurableTraceConfig => {
  const result: Record<string, unknown> = { ...base }
  for (const key of Object.keys(VALIDATORS) as Array<keyof DurableTraceConfig>) {
    const value = VALIDATORS[key](overrides[key])
    if (value !== undefined) result[key] = value
  }
  return result as unknown as DurableTraceConfig
}

/** The options given in code (not `undefined`) that are not valid, so `merge` ignored them. */
export const invalidOptions = (overrides: Overrides): ReadonlyArray<keyof DurableTraceConfig> =>
  (Object.keys(VALIDATORS) as Array<keyof DurableTraceConfig>).filter(
    (key) => overrides[key] !== undefined && VALIDATORS[key](overrides[key]) === undefined
  )
