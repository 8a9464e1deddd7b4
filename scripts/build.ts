// Builds one workspace package into dist/: ESM JavaScript, declarations and source maps, by tsc.
// tsc rewrites `./Foo.ts` to `./Foo.js` in the JavaScript it emits but leaves declarations pointing at
// `.ts` files that dist does not have, so the declarations' relative specifiers are rewritten here.
// Usage (from a package directory): node ../../scripts/build.ts
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const tsc = new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname
rmSync("dist", { recursive: true, force: true })
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" })

const RELATIVE_TS = /(["'])(\.{1,2}\/[^"'\n]+)\.ts\1/g
let rewritten = 0
for (const entry of readdirSync("dist", { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue
  const path = join(entry.parentPath, entry.name)
  const text = readFileSync(path, "utf8")
  const fixed = text.replace(RELATIVE_TS, (_, quote: string, stem: string) => `${quote}${stem}.js${quote}`)
  if (fixed !== text) {
    writeFileSync(path, fixed)
    rewritten++
  }
}
console.log(`built ${process.cwd().split("/").pop()}: ${rewritten} declaration files re-pointed at .js`)
