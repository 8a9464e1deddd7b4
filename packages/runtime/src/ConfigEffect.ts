/**
 * durable-trace's settings through Effect `Config`, for Effect apps: the same variables and defaults as
 * `Config.fromEnv`, read from whichever `ConfigProvider` the app uses (the environment, a file, a test record).
 * The raw strings come through Effect; one parser (`Config.resolve`) turns them into settings, so the two readers
 * cannot disagree. Loads Schema (Effect's `Config` does), which is why the plain wrapper does not use it.
 */
import * as Config from "effect/Config"
import * as Option from "effect/Option"
import { type DurableTraceConfig, ENV, resolve } from "./Config.ts"

const names = Object.values(ENV).map((setting) => setting.name)

/** The settings as an Effect `Config`. */
export const config: Config.Config<DurableTraceConfig> = Config.all(
  Object.fromEntries(names.map((name) => [name, Config.option(Config.String(name))]))
).pipe(
  Config.map((values: Readonly<Record<string, Option.Option<string>>>) =>
    resolve((name) => Option.getOrUndefined(values[name] ?? Option.none()))
  )
)
