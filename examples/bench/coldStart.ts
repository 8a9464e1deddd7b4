/**
 * Benchmark 3, cold start: what importing the runtime entry (`@durable-trace/runtime/withDurableTracing`) adds to
 * a fresh Node process, measured in child processes (wall time, minus a process that imports an empty module) and
 * inside them (`performance.now()` around the `import()`). The tracer backend is not imported: the user pays for
 * dd-trace either way. Three builds of the entry: the workspace's TypeScript sources (run by Node's type
 * stripping), the packed tarball itself (built by `scripts/build.ts`, packed as `pnpm publish` would, imported
 * from `node_modules`) and one esbuild bundle, minified, with the durable SDK and `@aws-sdk/*` left external.
 * Then a whole handler bundled with the README's documented flags, untraced and traced, side by side.
 * `effect/Effect`, the `effect` barrel and the durable SDK alone are measured for reference.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { gzipSync } from "node:zlib"
import * as esbuild from "esbuild"
import { millis, now, stats, table } from "./measure.ts"
import { require } from "./tracer.ts"

/** Child processes per variant; the median is reported. */
export const RUNS = 15

const EXAMPLES = fileURLToPath(new URL("..", import.meta.url))
const OUT = join(EXAMPLES, "bench", ".out")
/** The runtime entry, as a user imports it. */
const ENTRY = "@durable-trace/runtime/withDurableTracing"
/** Left out of the bundle: Lambda's Node runtime ships the durable SDK and the AWS SDK; backends are the user's. */
const EXTERNAL = [
  "@aws/durable-execution-sdk-js",
  "@aws-sdk/*",
  "dd-trace",
  "@opentelemetry/*",
  "@effect/opentelemetry"
]

/** A module to import in a fresh process. */
interface Variant {
  readonly name: string
  /** An import specifier resolved from the examples package, or a file URL. */
  readonly specifier: string
}

/** One variant's timings, ms. */
export interface ColdStartResult {
  readonly name: string
  readonly wall: number
  readonly overBare: number
  /** For the runtime entry: what it adds over importing the durable SDK, which it imports and the user does too. */
  readonly overSdk: number | undefined
  readonly importTime: number
}

/** What the bundle is made of. */
export interface BundleInfo {
  readonly bytes: number
  readonly gzipBytes: number
  /** Bytes contributed by `effect` and by durable-trace's own packages. */
  readonly effectBytes: number
  readonly ownBytes: number
  /** The largest inputs, by bytes they contribute to the minified output. */
  readonly largest: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
}

export interface ColdStartResults {
  readonly bare: number
  readonly variants: ReadonlyArray<ColdStartResult>
  readonly bundle: BundleInfo
}

// Times the import from inside the child, so its own startup is not counted twice.
const CHILD =
  "const t=performance.now();await import(process.argv[1]);process.stdout.write(String(performance.now()-t))"

const spawnImport = (specifier: string): { readonly wall: number; readonly importTime: number } => {
  const start = now()
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, specifier], {
    cwd: EXAMPLES,
    encoding: "utf8"
  })
  const wall = now() - start
  if (child.status !== 0) throw new Error(`cold start: importing ${specifier} failed:\n${child.stderr}`)
  return { wall, importTime: Number(child.stdout) }
}

/**
 * The real artifact: each package built (`scripts/build.ts`) and packed (`pnpm pack`, as `pnpm publish` would),
 * the tarballs unpacked into `node_modules` under `OUT`. Their own dependencies (effect, the SDK) resolve from the
 * examples package, as they would from an app's `node_modules`.
 */
const buildPacked = (): string => {
  const root = join(OUT, "published", "node_modules", "@durable-trace")
  const packs = join(OUT, "packs")
  for (const name of ["core", "adapters", "runtime"]) {
    const source = join(EXAMPLES, "..", "packages", name)
    const target = join(root, name)
    mkdirSync(target, { recursive: true })
    execOrThrow(process.execPath, [join(EXAMPLES, "..", "scripts", "build.ts")], source)
    execOrThrow("npx", ["-y", "pnpm@10", "pack", "--pack-destination", packs], source)
    const tarball = readdirSync(packs).find((file) => file.startsWith(`durable-trace-${name}-`))!
    execOrThrow("tar", ["xzf", join(packs, tarball), "-C", target, "--strip-components=1"], source)
  }
  return pathToFileURL(join(root, "runtime", "dist", "withDurableTracing.js")).href
}

const execOrThrow = (command: string, args: ReadonlyArray<string>, cwd: string): void => {
  const child = spawnSync(command, args, { cwd, encoding: "utf8" })
  if (child.status !== 0) throw new Error(`cold start: ${command} ${args.join(" ")} failed:\n${child.stderr}`)
}

/** The README's documented ESM bundle flags for Lambda (section "Bundling for Lambda"). */
const DOCUMENTED_BANNER =
  "import { createRequire as __durableTraceCreateRequire } from 'node:module'; globalThis.require ??= __durableTraceCreateRequire(import.meta.url);"

/**
 * One handler module bundled with the documented flags, twice: traced by `withDurableTracing`, and the same
 * workflow untraced (`withDurableExecution`), so the difference is what durable-trace adds to a deployed bundle.
 */
const buildDocumented = async (): Promise<{ readonly traced: string; readonly untraced: string }> => {
  const dir = join(OUT, "documented")
  mkdirSync(dir, { recursive: true })
  const workflow = "async (event, context) => context.step('a', async () => event)"
  const sources = {
    traced: `import { withDurableTracing } from "@durable-trace/runtime"\nimport * as InMemory from "@durable-trace/runtime/InMemory"\nexport const handler = withDurableTracing(${workflow}, { backend: InMemory.layer() })\n`,
    untraced: `import { withDurableExecution } from "@aws/durable-execution-sdk-js"\nexport const handler = withDurableExecution(${workflow})\n`
  }
  const urls: Record<string, string> = {}
  for (const [name, source] of Object.entries(sources)) {
    writeFileSync(join(dir, `${name}.ts`), source)
    await esbuild.build({
      entryPoints: [join(dir, `${name}.ts`)],
      outfile: join(dir, `${name}.mjs`),
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node22",
      external: ["dd-trace"],
      banner: { js: DOCUMENTED_BANNER },
      absWorkingDir: EXAMPLES,
      nodePaths: [join(EXAMPLES, "node_modules")],
      logLevel: "error"
    })
    urls[name] = pathToFileURL(join(dir, `${name}.mjs`)).href
  }
  return { traced: urls.traced!, untraced: urls.untraced! }
}

/** Bundles the entry with esbuild, minified ESM for Node, and reports its size and largest inputs. */
const buildBundle = async (): Promise<{ readonly url: string; readonly info: BundleInfo }> => {
  const outfile = join(OUT, "bundle", "withDurableTracing.mjs")
  const result = await esbuild.build({
    entryPoints: [require.resolve(ENTRY)],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    external: EXTERNAL,
    metafile: true,
    absWorkingDir: EXAMPLES,
    logLevel: "error"
  })
  const code = readFileSync(outfile)
  const inputs = Object.values(result.metafile.outputs)[0]!.inputs
  const contributions = Object.entries(inputs)
    .map(([path, input]) => ({ path: displayPath(path), bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
  const total = (prefix: string) =>
    contributions.filter((c) => c.path.startsWith(prefix)).reduce((sum, c) => sum + c.bytes, 0)
  return {
    url: pathToFileURL(outfile).href,
    info: {
      bytes: code.length,
      gzipBytes: gzipSync(code).length,
      effectBytes: total("effect/"),
      ownBytes: total("packages/"),
      largest: contributions.slice(0, 8)
    }
  }
}

// `../node_modules/.pnpm/effect@4.1.0/node_modules/effect/dist/internal/effect.js` -> `effect/dist/internal/effect.js`.
const displayPath = (path: string): string => {
  const inModules = path.lastIndexOf("node_modules/")
  return inModules === -1 ? relative(join(EXAMPLES, ".."), join(EXAMPLES, path)) : path.slice(inModules + 13)
}

export const run = async (): Promise<ColdStartResults> => {
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  const published = buildPacked()
  const bundle = await buildBundle()
  const documented = await buildDocumented()
  const variants: ReadonlyArray<Variant & { readonly entry?: true }> = [
    { name: "`effect/Effect` alone", specifier: "effect/Effect" },
    { name: "`effect` barrel", specifier: "effect" },
    {
      name: "`@aws/durable-execution-sdk-js` alone (the user imports it anyway)",
      specifier: "@aws/durable-execution-sdk-js"
    },
    { name: "runtime entry, unbundled TypeScript sources (type stripping)", specifier: ENTRY, entry: true },
    {
      name: "runtime entry, the packed tarball from node_modules (unbundled JavaScript)",
      specifier: published,
      entry: true
    },
    { name: "runtime entry, bundled + minified (SDK external)", specifier: bundle.url, entry: true },
    { name: "a handler, documented esbuild bundle, untraced (`withDurableExecution`)", specifier: documented.untraced },
    { name: "the same handler, documented esbuild bundle, with `withDurableTracing`", specifier: documented.traced }
  ]
  const bareSpecifier = "data:text/javascript,"
  const samples = new Map<string, Array<{ wall: number; importTime: number }>>()
  for (const specifier of [bareSpecifier, ...variants.map((v) => v.specifier)]) samples.set(specifier, [])
  // Round-robin, so a burst of load on the machine hits every variant alike.
  for (let i = 0; i < RUNS; i++) for (const [specifier, runs] of samples) runs.push(spawnImport(specifier))
  const median = (specifier: string, key: "wall" | "importTime") =>
    stats(samples.get(specifier)!.map((sample) => sample[key])).median
  const bare = median(bareSpecifier, "wall")
  const sdk = median("@aws/durable-execution-sdk-js", "wall")
  return {
    bare,
    variants: variants.map(({ name, specifier, entry }) => ({
      name,
      wall: median(specifier, "wall"),
      overBare: median(specifier, "wall") - bare,
      overSdk: entry ? median(specifier, "wall") - sdk : undefined,
      importTime: median(specifier, "importTime")
    })),
    bundle: bundle.info
  }
}

const kilobytes = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`

/** The markdown section. */
export const report = ({ bare, variants, bundle }: ColdStartResults): string =>
  [
    table(
      ["import", "process wall ms", "over bare node ms", "over the SDK alone ms", "import() ms (in process)"],
      [
        ["bare node (imports an empty module)", millis(bare), "0", "-", "-"],
        ...variants.map((v) => [
          v.name,
          millis(v.wall),
          millis(v.overBare),
          v.overSdk === undefined ? "-" : millis(v.overSdk),
          millis(v.importTime)
        ])
      ]
    ),
    "",
    `Bundle: ${kilobytes(bundle.bytes)} minified (${kilobytes(bundle.effectBytes)} from \`effect\`, ` +
      `${kilobytes(bundle.ownBytes)} from durable-trace), ${kilobytes(bundle.gzipBytes)} gzipped. Largest inputs:`,
    "",
    table(
      ["input", "bytes in bundle"],
      bundle.largest.map(({ path, bytes }) => [`\`${path}\``, bytes.toLocaleString("en-US")])
    )
  ].join("\n")
