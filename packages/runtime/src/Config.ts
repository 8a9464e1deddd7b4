/**
 * durable-trace's settings and where they come from: options passed in code win over the environment, which
 * wins over the defaults. `fromEnv` is a plain parser because the plain wrapper runs it on every cold start and
 * Effect's `Config` module loads Schema (measured here: ~2.5x the import time of `effect/Effect`);
 * `ConfigEffect.config` reads the same keys through Effect `Config` for Effect apps.
 */
import * as InvocationSpan from "@durable-trace/core/InvocationSpan"
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
  /** Time kept free before the Lambda deadline, ms. */
  deadlineMarginMillis: { name: "DURABLE_TRACE_DEADLINE_MARGIN_MS", default: 500 },
  /** Persist `_datadog_0` in the SDK's first checkpoint batch, so a crash before suspending keeps the trace. */
  earlyCheckpoint: { name: "DURABLE_TRACE_EARLY_CHECKPOINT", default: true },
  /** Which span is the invocation span: `auto` (an outer wrapper's when one is active), `standalone`, `outer`. */
  invocationSpan: { name: "DURABLE_TRACE_INVOCATION_SPAN", default: "auto" }
} as const

/** Resolved settings. */
export interface DurableTraceConfig {
  readonly enabled: boolean
  readonly service: string | undefined
  readonly env: string | undefined
  readonly writeTimeoutMillis: number
  readonly deadlineMarginMillis: number
  readonly earlyCheckpoint: boolean
  readonly invocationSpan: InvocationSpan.Setting
}

const TRUE = new Set(["true", "1", "yes", "on"])
const FALSE = new Set(["false", "0", "no", "off"])

/** A boolean setting: `true/1/yes/on`, `false/0/no/off` (any case); anything else keeps the default. */
export const parseBoolean = (value: string | undefined, fallback: boolean): boolean => {
  const normalized = value?.trim().toLowerCase()
  if (normalized === undefined) return fallback
  if (TRUE.has(normalized)) return true
  if (FALSE.has(normalized)) return false
  return fallback
}

/** A non-negative whole number of milliseconds; anything else keeps the default. */
export const parseMillis = (value: string | undefined, fallback: number): number => {
  const trimmed = value?.trim()
  if (trimmed === undefined || !/^[0-9]{1,9}$/.test(trimmed)) return fallback
  return Number(trimmed)
}

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed.length === 0 ? undefined : trimmed
}

/** The settings from a source of raw values by variable name: the one parser both readers share. */
export const resolve = (read: (name: string) => string | undefined): DurableTraceConfig => ({
  enabled: parseBoolean(read(ENV.enabled.name), ENV.enabled.default),
  service: nonEmpty(read(ENV.service.name)),
  env: nonEmpty(read(ENV.env.name)),
  writeTimeoutMillis: parseMillis(read(ENV.writeTimeoutMillis.name), ENV.writeTimeoutMillis.default),
  deadlineMarginMillis: parseMillis(read(ENV.deadlineMarginMillis.name), ENV.deadlineMarginMillis.default),
  earlyCheckpoint: parseBoolean(read(ENV.earlyCheckpoint.name), ENV.earlyCheckpoint.default),
  invocationSpan: Option.getOrElse(
    InvocationSpan.parseSetting(read(ENV.invocationSpan.name)),
    (): InvocationSpan.Setting => ENV.invocationSpan.default
  )
})

/** Reads the settings from `env` (default `process.env`). */
export const fromEnv = (env: Readonly<Record<string, string | undefined>> = process.env): DurableTraceConfig =>
  resolve((name) => env[name])

/** Options in code override the environment, key by key (an `undefined` option does not). */
export const merge = (
  base: DurableTraceConfig,
  overrides: { readonly [K in keyof DurableTraceConfig]?: DurableTraceConfig[K] | undefined }
): DurableTraceConfig => {
  const result: { -readonly [K in keyof DurableTraceConfig]: DurableTraceConfig[K] } = { ...base }
  for (const key of Object.keys(overrides) as Array<keyof DurableTraceConfig>) {
    const value = overrides[key]
    if (value !== undefined) (result as Record<string, unknown>)[key] = value
  }
  return result
}
