/** When an invocation offers a checkpoint to the SDK's next batch (SPEC §4.1, §11). */
import { assert, describe, it } from "@effect/vitest"
import * as Writer from "../src/Writer.ts"

describe("Writer.offersEarly", () => {
  it("offers the execution's first checkpoint, and a resumed invocation's numbered one", () => {
    const base = { offered: false, paged: false, highestN: -1, invocation: undefined }
    assert.isTrue(Writer.offersEarly(base), "the first checkpoint of an execution")
    assert.isTrue(Writer.offersEarly({ ...base, highestN: 3, invocation: 2 }), "a resumed invocation with its number")
    assert.isFalse(Writer.offersEarly({ ...base, highestN: 3 }), "a resumed invocation whose number is unknown")
    assert.isFalse(Writer.offersEarly({ ...base, offered: true }), "once per invocation")
    assert.isFalse(Writer.offersEarly({ ...base, paged: true }), "never on a log that pages")
  })
})
