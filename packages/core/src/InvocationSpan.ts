/**
 * Which span is an invocation's `aws.lambda` (SPEC §10): durable-trace's own (standalone), or the one an outer
 * Lambda wrapper already opened (datadog-lambda-js's `datadog()` or layer redirect, OpenTelemetry's
 * `AwsLambdaInstrumentation`), and the setups that cannot work as meant. Pure decisions over what the runtime
 * observed; the runtime only reports what it sees and logs the warnings. Gotcha: the outer wrapper opens its span
 * before durable-trace runs, so its parent is ours only when the wrapper was given durable-trace's extractor.
 */
import * as Option from "effect/Option"

/** `invocationSpan` / `DURABLE_TRACE_INVOCATION_SPAN`: how the invocation span is chosen. */
export type Setting = "auto" | "standalone" | "outer"

/** Every setting; `auto` is the default. */
export const SETTINGS: ReadonlyArray<Setting> = ["auto", "standalone", "outer"]

/** What is active when the wrapped handler starts: nothing, a span durable-trace started, or someone else's. */
export type ActiveSpan = "none" | "ours" | "foreign"

/** The decision: durable-trace opens `aws.lambda` itself, or runs under the outer wrapper's invocation span. */
export type Mode = "standalone" | "outer"

/** A setting from its text (any case, trimmed); anything else is none, so the default applies. */
export const parseSetting = (value: string | undefined): Option.Option<Setting> => {
  const normalized = value?.trim().toLowerCase()
  return SETTINGS.includes(normalized as Setting) ? Option.some(normalized as Setting) : Option.none()
}

/**
 * The mode of one invocation. `auto` runs under an outer invocation span when one is active, so there is never
 * a second `aws.lambda`. `outer` without an outer span falls back to standalone: an invocation always has one.
 */
export const decide = (setting: Setting, active: ActiveSpan): Mode =>
  setting !== "standalone" && active === "foreign" ? "outer" : "standalone"

/** A setup that cannot work as meant: reported once, at cold start, and never changes an outcome. */
export type Misconfiguration =
  /** `standalone` forced under an outer wrapper: every invocation gets two invocation spans. */
  | { readonly _tag: "TwoInvocationSpans" }
  /** `outer` configured but no outer invocation span is active: durable-trace opened its own. */
  | { readonly _tag: "NoOuterSpan" }
  /** Under an outer wrapper whose parent was not decided by durable-trace's extractor. */
  | { readonly _tag: "OuterReaderNotOurs" }
  /** The tracer's own durable checkpoint writer is on while durable-trace writes: two writers. */
  | { readonly _tag: "TwoWriters" }
  /** durable-trace's plugin loaded through `DURABLE_EXECUTION_PLUGINS` as well: every durable span twice. */
  | { readonly _tag: "PluginLoadedTwice"; readonly plugins: string }
  /** The extract styles read none of the styles the checkpoints carry. */
  | {
      readonly _tag: "UnreadableCheckpoints"
      readonly extract: ReadonlyArray<string>
      readonly payload: ReadonlyArray<string>
    }

/** What the runtime saw on its first invocation. */
export interface Facts {
  readonly setting: Setting
  readonly active: ActiveSpan
  /** Whether durable-trace's extractor decided this invocation's parent (it ran in the outer wrapper). */
  readonly extractorRan: boolean
  /** Whether the wrapper writes checkpoints. */
  readonly writeEnabled: boolean
  /** Whether the backend's own durable checkpoint writer is on (dd-trace's built-in plugin left enabled). */
  readonly builtInWriter?: boolean | undefined
  /** `DURABLE_EXECUTION_PLUGINS`, the SDK's own plugin loader. */
  readonly durableExecutionPlugins: string | undefined
  /** The backend's propagation styles, when it has configurable ones (dd-trace). */
  readonly styles?: PropagationStyles | undefined
}

/** Extract and inject style lists, lowercased, in order. */
export interface PropagationStyles {
  readonly extract: ReadonlyArray<string>
  readonly inject: ReadonlyArray<string>
}

/** The styles whose keys a checkpoint keeps (SPEC §4.6): the rest are never persisted. */
export const PERSISTED_STYLES: ReadonlyArray<string> = ["datadog", "tracecontext"]

/** dd-trace's default style list (SPEC §8). */
export const DD_DEFAULT_STYLES: ReadonlyArray<string> = ["datadog", "tracecontext", "baggage"]

const DURABLE_TRACE_PLUGIN = /@durable-trace\//

/** A comma-separated style list: trimmed, lowercased, empty entries dropped; none when unset or empty. */
export const parseStyles = (value: string | undefined): Option.Option<ReadonlyArray<string>> => {
  const styles = (value ?? "")
    .split(",")
    .map((style) => style.trim().toLowerCase())
    .filter((style) => style.length > 0)
  return styles.length === 0 ? Option.none() : Option.some(styles)
}

/**
 * dd-trace's styles from its environment: `DD_TRACE_PROPAGATION_STYLE_EXTRACT` / `_INJECT`, else
 * `DD_TRACE_PROPAGATION_STYLE`, else the default.
 */
export const ddTraceStyles = (read: (name: string) => string | undefined): PropagationStyles => {
  const both = parseStyles(read("DD_TRACE_PROPAGATION_STYLE"))
  const pick = (name: string) =>
    Option.getOrElse(
      Option.orElse(parseStyles(read(name)), () => both),
      () => DD_DEFAULT_STYLES
    )
  return {
    extract: pick("DD_TRACE_PROPAGATION_STYLE_EXTRACT"),
    inject: pick("DD_TRACE_PROPAGATION_STYLE_INJECT")
  }
}

/** The styles a checkpoint written with `styles` carries, and whether `styles.extract` reads any of them. */
export const readable = (
  styles: PropagationStyles
): { readonly payload: ReadonlyArray<string>; readonly ok: boolean } => {
  const payload = PERSISTED_STYLES.filter((style) => styles.inject.includes(style))
  return { payload, ok: payload.some((style) => styles.extract.includes(style)) }
}

/** Every misconfiguration `facts` shows, in a fixed order. */
export const misconfigurations = (facts: Facts): ReadonlyArray<Misconfiguration> => {
  const found: Array<Misconfiguration> = []
  const mode = decide(facts.setting, facts.active)
  if (facts.setting === "standalone" && facts.active === "foreign") found.push({ _tag: "TwoInvocationSpans" })
  if (facts.setting === "outer" && facts.active !== "foreign") found.push({ _tag: "NoOuterSpan" })
  if (mode === "outer" && !facts.extractorRan) found.push({ _tag: "OuterReaderNotOurs" })
  if (facts.writeEnabled && facts.builtInWriter === true) found.push({ _tag: "TwoWriters" })
  const plugins = facts.durableExecutionPlugins?.trim()
  if (plugins !== undefined && DURABLE_TRACE_PLUGIN.test(plugins)) found.push({ _tag: "PluginLoadedTwice", plugins })
  if (facts.styles !== undefined) {
    const { payload, ok } = readable(facts.styles)
    if (!ok) found.push({ _tag: "UnreadableCheckpoints", extract: facts.styles.extract, payload })
  }
  return found
}

/** The one-line warning for a misconfiguration: what is wrong, what it costs, how to fix it. */
export const message = (misconfiguration: Misconfiguration): string => {
  switch (misconfiguration._tag) {
    case "TwoInvocationSpans":
      return "durable-trace: invocationSpan is 'standalone' but an outer Lambda wrapper already opened the invocation span: every invocation gets two. Use 'auto' (the default) or 'outer'."
    case "NoOuterSpan":
      return "durable-trace: invocationSpan is 'outer' but no outer invocation span is active (no datadog() / Datadog layer, no AwsLambdaInstrumentation around the handler): durable-trace opened aws.lambda itself."
    case "OuterReaderNotOurs":
      return "durable-trace: running under an outer Lambda wrapper whose parent context was not read by durable-trace (first page only, a corrupt latest checkpoint breaks the trace, the caller's context in the input is lost). Set DD_TRACE_EXTRACTOR (or datadog()'s traceExtractor) to durable-trace's DatadogExtractor, or AwsLambdaInstrumentation's eventContextExtractor to its OpenTelemetryExtractor."
    case "TwoWriters":
      return "durable-trace: dd-trace's built-in durable plugin writes _datadog_{N} checkpoints too (disableBuiltInDurablePlugin: false): two writers fork the numbering. Leave it off while durable-trace writes."
    case "PluginLoadedTwice":
      return `durable-trace: DURABLE_EXECUTION_PLUGINS (${misconfiguration.plugins}) loads durable-trace's plugin into a handler withDurableTracing already wraps: every aws.durable.* span twice. Use one of them.`
    case "UnreadableCheckpoints":
      return `durable-trace: the extract styles (${misconfiguration.extract.join(",")}) read none of the styles checkpoints carry (${misconfiguration.payload.join(",") || "none"}): resumed invocations cannot continue the trace. Keep datadog or tracecontext in DD_TRACE_PROPAGATION_STYLE_EXTRACT and _INJECT.`
  }
}
