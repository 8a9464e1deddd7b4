import { assert, describe, it } from "@effect/vitest"

describe("workspace", () => {
  it("runs on the Node the workspace pins (>= 22)", () => {
    const major = Number(process.versions.node.split(".")[0])
    assert.isAtLeast(major, 22, `tests ran on Node ${process.versions.node}`)
  })
})
