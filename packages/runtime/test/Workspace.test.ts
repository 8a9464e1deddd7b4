import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const packages = new URL("../../", import.meta.url).pathname
const manifest = (name: string) =>
  JSON.parse(readFileSync(join(packages, name, "package.json"), "utf8")) as {
    readonly exports: Record<string, unknown>
    readonly publishConfig: { readonly exports: Record<string, { readonly types: string; readonly default: string }> }
  }

describe("workspace", () => {
  it("runs on the Node the workspace pins (>= 22)", () => {
    const major = Number(process.versions.node.split(".")[0])
    assert.isAtLeast(major, 22, `tests ran on Node ${process.versions.node}`)
  })

  // Inside the workspace every module resolves (exports `./*` point at sources); published, only the listed ones
  // do. A source import of an unlisted module works here and breaks for every user: catch it here.
  it("every module one package's source imports from another is in that package's published exports", () => {
    const missing: Array<string> = []
    for (const pkg of ["core", "adapters", "runtime"]) {
      const src = join(packages, pkg, "src")
      for (const file of readdirSync(src)) {
        const text = readFileSync(join(src, file), "utf8")
        for (const [, target, module] of text.matchAll(
          /(?:from |import\()["']@durable-trace\/([a-z]+)\/([A-Za-z]+)["']/g
        )) {
          if (manifest(target!).publishConfig.exports[`./${module}`] === undefined)
            missing.push(`${pkg}/src/${file} imports @durable-trace/${target}/${module}`)
        }
      }
    }
    assert.deepStrictEqual(missing, [])
  })

  it("every published entry has a source module, built to the path the export names", () => {
    for (const pkg of ["core", "adapters", "runtime"]) {
      const sources = new Set(readdirSync(join(packages, pkg, "src")).map((file) => file.replace(/\.ts$/, "")))
      for (const [path, entry] of Object.entries(manifest(pkg).publishConfig.exports)) {
        if (path === "./package.json") continue
        const module = path === "." ? "index" : path.slice(2)
        assert.isTrue(sources.has(module), `${pkg}: ${path} has no src/${module}.ts`)
        assert.deepStrictEqual(entry, { types: `./dist/${module}.d.ts`, default: `./dist/${module}.js` })
      }
    }
  })
})
