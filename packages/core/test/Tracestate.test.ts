import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Tracestate from "../src/Tracestate.ts"

const PARENT = "00f067aa0ba902b7"
const ANCHOR = "a3ce929d0e0e4736"

const roundTrip = (value: unknown): Option.Option<string> => Option.map(Tracestate.parse(value), Tracestate.format)
const strip = (value: string): Option.Option<string> =>
  Option.map(Tracestate.parse(value), (ts) => Tracestate.format(Tracestate.stripDdParent(ts)))
const setParent = (value: string, parent: string): Option.Option<string> =>
  Option.map(Tracestate.parse(value), (ts) => Tracestate.format(Tracestate.setDdParent(ts, parent)))

describe("Tracestate", () => {
  describe("parse + format", () => {
    const cases: ReadonlyArray<readonly [string, unknown, Option.Option<string>]> = [
      ["single", "dd=s:1", Option.some("dd=s:1")],
      [
        "ddTraceDefault",
        `dd=t.dm:-0;t.tid:640cfd8d00000000;s:1;p:${PARENT}`,
        Option.some(`dd=t.dm:-0;t.tid:640cfd8d00000000;s:1;p:${PARENT}`)
      ],
      [
        "orderKept",
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,dd=s:1",
        Option.some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,dd=s:1")
      ],
      ["multiTenantKey", "fw529a3039@dt=abc,0tenant@sys-1=x", Option.some("fw529a3039@dt=abc,0tenant@sys-1=x")],
      ["keySpecialChars", "a_-*/9=1", Option.some("a_-*/9=1")],
      ["owsAroundCommas", " a=1 ,\tb=2\t, c=3 ", Option.some("a=1,b=2,c=3")],
      ["emptyMembersIgnored", "a=1,,, ,b=2", Option.some("a=1,b=2")],
      ["valueLeadingSpaceKept", "dd= s:1", Option.some("dd= s:1")],
      ["valueMax256", `a=${"x".repeat(256)}`, Option.some(`a=${"x".repeat(256)}`)],
      ["invalidMember_dropped_valueTooLong", `a=${"x".repeat(257)},b=2`, Option.some("b=2")],
      ["invalidMember_dropped_uppercaseKey", "Dd=s:1,b=2", Option.some("b=2")],
      ["invalidMember_dropped_keyStartsWithDigit", "1a=1,b=2", Option.some("b=2")],
      ["invalidMember_dropped_emptyValue", "a=,b=2", Option.some("b=2")],
      ["invalidMember_dropped_noEquals", "a,b=2", Option.some("b=2")],
      ["invalidMember_dropped_equalsInValue", "a=1=2,b=2", Option.some("b=2")],
      ["invalidMember_dropped_tabInValue", "a=x\ty,b=2", Option.some("b=2")],
      ["invalidMember_dropped_controlCharacter", "a=x\u0001,b=2", Option.some("b=2")],
      ["invalidMember_dropped_nonAscii", "a=\u00e9,b=2", Option.some("b=2")],
      ["invalidMember_dropped_badSystemId", "t@9sys=1,b=2", Option.some("b=2")],
      ["duplicateKey_firstWins", "a=1,a=2", Option.some("a=1")],
      [
        "thirtyTwoMembers",
        Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(","),
        Option.some(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(","))
      ],
      ["invalidList_thirtyThreeMembers", Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(","), Option.none()],
      ["invalidList_noValidMember", "A=1,=2", Option.none()],
      ["invalidList_emptyString", "", Option.none()],
      ["invalidList_onlyCommas", " , ,", Option.none()],
      ["invalidList_tenKilobytes", `a=${"x".repeat(10_240)}`, Option.none()],
      ["invalidList_crlfInjection", "a=1\r\nx-evil: 1", Option.none()],
      ["notAString_undefined", undefined, Option.none()],
      ["notAString_array", ["a=1"], Option.none()],
      ["notAString_object", { a: "1" }, Option.none()]
    ]
    for (const [name, input, expected] of cases) {
      it(name, () => assert.deepStrictEqual(roundTrip(input), expected, name))
    }
  })

  describe("parseDd + formatDd", () => {
    const cases: ReadonlyArray<readonly [string, unknown, Option.Option<string>]> = [
      [
        "ddTraceDefault",
        `t.dm:-0;t.tid:640cfd8d00000000;s:1;p:${PARENT}`,
        Option.some(`t.dm:-0;t.tid:640cfd8d00000000;s:1;p:${PARENT}`)
      ],
      ["whitespaceAroundSemicolons", " s:1 ;\tp:abc ", Option.some("s:1;p:abc")],
      ["valueWithColon", "o:a:b", Option.some("o:a:b")],
      ["valueWithInnerSpace", "o:my origin", Option.some("o:my origin")],
      ["escapedEquals", "t.usr:a~b", Option.some("t.usr:a~b")],
      ["malformedParentKept", "p:zz;s:1", Option.some("p:zz;s:1")],
      ["entryWithoutColonDropped", "junk;s:1", Option.some("s:1")],
      ["emptyValueDropped", "s:;o:rum", Option.some("o:rum")],
      ["emptyKeyDropped", ":1;o:rum", Option.some("o:rum")],
      ["duplicateKey_firstWins", "s:1;s:2", Option.some("s:1")],
      ["emptyEntriesIgnored", ";;s:1;", Option.some("s:1")],
      ["invalid_nothingLeft", "junk", Option.none()],
      ["invalid_empty", "", Option.none()],
      ["invalid_notAString", 1, Option.none()]
    ]
    for (const [name, input, expected] of cases) {
      it(name, () => assert.deepStrictEqual(Option.map(Tracestate.parseDd(input), Tracestate.formatDd), expected, name))
    }
  })

  describe("dd value escaping (dd-trace's rules)", () => {
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["plain", "rum", "rum"],
      ["equalsBecomesTilde", "a=b", "a~b"],
      ["commaSemicolonTildeBecomeUnderscore", "a,b;c~d", "a_b_c_d"],
      ["controlAndNonAsciiBecomeUnderscore", "a\u0001\u00e9", "a__"],
      ["spaceKept", "a b", "a b"]
    ]
    for (const [name, raw, encoded] of cases) {
      it(name, () => {
        assert.strictEqual(Tracestate.encodeDdValue(raw), encoded, name)
        assert.isTrue(Option.isSome(Tracestate.parseDd(`o:${encoded}`)), name)
      })
    }
    it("decodeRestoresEquals", () => assert.strictEqual(Tracestate.decodeDdValue("a~b~c"), "a=b=c"))
  })

  describe("stripDdParent", () => {
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      // SPEC §4.3, verbatim.
      ["spec_onlyParent_memberDropped", "dd=p:abc", ""],
      ["spec_whitespaceNormalised", "dd= s:1 ; p:abc , v=x", "dd=s:1,v=x"],
      [
        "spec_middleEntryRemoved",
        "dd=s:1;t.dm:-0;p:badf00d;o:rum,othervendor=keep",
        "dd=s:1;t.dm:-0;o:rum,othervendor=keep"
      ],
      ["validParentRemoved", `dd=s:1;p:${PARENT}`, "dd=s:1"],
      ["ddNotFirst", `a=1,dd=p:${PARENT};s:2,b=2`, "a=1,dd=s:2,b=2"],
      ["noDdMember_unchanged", "a=1,b=2", "a=1,b=2"],
      ["noParent_normalised", "dd= s:1 ;o:rum", "dd=s:1;o:rum"],
      ["otherVendorParentKept", "other=p:abc", "other=p:abc"]
    ]
    for (const [name, input, expected] of cases) {
      it(name, () => assert.deepStrictEqual(strip(input), Option.some(expected), name))
    }
  })

  describe("setDdParent + ddParentId", () => {
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ["replacedInPlace", `dd=s:1;p:${PARENT};o:rum,a=1`, `dd=s:1;p:${ANCHOR};o:rum,a=1`],
      ["malformedReplaced", "dd=p:abc;s:1", `dd=p:${ANCHOR};s:1`],
      ["appendedWhenMissing", "a=1,dd=s:1", `a=1,dd=s:1;p:${ANCHOR}`],
      ["noDdMember_unchanged", "a=1", "a=1"],
      ["overlongMember_parentRemovedNotStale", `dd=o:${"x".repeat(240)};p:abc`, `dd=o:${"x".repeat(240)}`]
    ]
    for (const [name, input, expected] of cases) {
      it(name, () => assert.deepStrictEqual(setParent(input, ANCHOR), Option.some(expected), name))
    }
    it("invalidAnchor_unchanged", () => {
      for (const anchor of ["", "0000000000000000", ANCHOR.toUpperCase(), `${ANCHOR}0`]) {
        assert.deepStrictEqual(setParent(`dd=p:${PARENT}`, anchor), Option.some(`dd=p:${PARENT}`), anchor)
      }
    })
    it("ddParentId", () => {
      const read = (value: string) => Option.flatMap(Tracestate.parse(value), Tracestate.ddParentId)
      assert.deepStrictEqual(read(`a=1,dd=s:1;p:${PARENT}`), Option.some(PARENT))
      assert.isTrue(Option.isNone(read("dd=s:1;p:abc")), "malformed")
      assert.isTrue(Option.isNone(read(`dd=p:${PARENT.toUpperCase()}`)), "uppercase")
      assert.isTrue(Option.isNone(read("dd=p:0000000000000000")), "zero")
      assert.isTrue(Option.isNone(read(`other=p:${PARENT}`)), "other vendor")
    })
  })
})
