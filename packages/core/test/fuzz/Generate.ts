/**
 * Fuzz inputs (issue 8): a seeded PRNG, structure-aware generators of durable events and propagation carriers
 * (names, ids and headers drawn from tables of valid and near-valid values), arbitrary JSON from Effect's
 * `Schema.Json` arbitrary, and mutations of any JSON value (bit flips in names, types, numbers and payload
 * strings, deleted and duplicated keys, huge and deeply nested values, `__proto__`/`constructor`/`prototype`
 * keys). Deterministic for a seed, so a failing case is replayed from the seed its report prints.
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Checkpoint from "../../src/Checkpoint.ts"

/** A seeded PRNG (mulberry32): small, fast, and the same sequence on every platform. */
export class Random {
  #state: number
  constructor(seed: number) {
    this.#state = seed >>> 0
  }
  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<A>(values: ReadonlyArray<A>): A {
    return values[this.int(values.length)]!
  }
}

/** The sentinel property a polluted prototype would show. */
export const POLLUTION = "durableTracePolluted"

/** A JSON-like value. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

export const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-1/3f1c9a"

const HEX = "0123456789abcdef"
const hex = (random: Random, length: number): string => {
  let out = ""
  for (let i = 0; i < length; i++) out += HEX[random.int(16)]
  return out
}
/** A valid unsigned 64-bit decimal id, often small, sometimes at the edges. */
const decimalId = (random: Random): string =>
  random.pick([
    () => String(1 + random.int(1000)),
    () => BigInt(`0x${hex(random, 16)}`).toString(10),
    () => "18446744073709551615",
    () => "1"
  ])()

/** Near-valid ids: signs, spaces, exponents, other digits, out of range, control characters. */
const BAD_IDS = [
  "0",
  "-1",
  "+1",
  " 1",
  "1 ",
  "1e3",
  "0x1f",
  "18446744073709551616",
  "99999999999999999999999",
  "١٢٣",
  "１２３",
  "12\n",
  "12\u0000",
  "",
  "NaN",
  "Infinity",
  "1.5"
]

const traceparent = (random: Random): string =>
  random.pick([
    () => `00-${hex(random, 32)}-${hex(random, 16)}-${random.pick(["00", "01"])}`,
    () => `00-${hex(random, 32).toUpperCase()}-${hex(random, 16)}-01`,
    () => `00-${"0".repeat(32)}-${hex(random, 16)}-01`,
    () => `00-${hex(random, 32)}-${"0".repeat(16)}-01`,
    () => `ff-${hex(random, 32)}-${hex(random, 16)}-01`,
    () => `01-${hex(random, 32)}-${hex(random, 16)}-01-future`,
    () => `00-${hex(random, 32)}-${hex(random, 16)}-01-extra`,
    () => `00-${hex(random, 32)}-${hex(random, 16)}-01\n`,
    () => ` 00-${hex(random, 32)}-${hex(random, 16)}-01`
  ])()

const tracestate = (random: Random): string =>
  random.pick([
    () => `dd=s:1;p:${hex(random, 16)};t.dm:-0,othervendor=keep`,
    () => `dd= s:2 ; p:${hex(random, 16)} , v=x`,
    () => `dd=p:${hex(random, 16).toUpperCase()}`,
    () => `dd=s:1;p:${hex(random, 16)}\u0001`,
    () => Array.from({ length: 40 }, (_, i) => `k${i}=v`).join(","),
    () => `dd=o:${"x".repeat(300)}`,
    () => "dd=,=,==,dd=dd=",
    () => `dd=p:${hex(random, 16)},dd=p:${hex(random, 16)}`
  ])()

const tags = (random: Random, traceHigh: string): string =>
  random.pick([
    () => `_dd.p.tid=${traceHigh},_dd.p.dm=-0`,
    () => `_dd.p.tid=${traceHigh.toUpperCase()}`,
    () => `_dd.p.tid=${traceHigh},_dd.p.big=${"x".repeat(600)}`,
    () => `_dd.p.dm=-0,_dd.p.tid=${traceHigh},_dd.p.tid=${hex(random, 16)}`,
    () => `_dd.p.x=\u0007,_dd.p.tid=${traceHigh}`,
    () => `_dd.p.tid=${"0".repeat(16)}`,
    () => "garbage"
  ])()

/** A propagation carrier: mostly valid Datadog and W3C headers, with near-valid values and stray keys mixed in. */
export const carrier = (random: Random): Record<string, Json> => {
  const out: Record<string, Json> = {}
  const traceHigh = hex(random, 16)
  const traceLow = decimalId(random)
  const parent = decimalId(random)
  const key = (name: string) =>
    random.chance(0.1) ? random.pick([name.toUpperCase(), `${name[0]!.toUpperCase()}${name.slice(1)}`]) : name
  if (random.chance(0.85)) out[key("x-datadog-trace-id")] = random.chance(0.85) ? traceLow : random.pick(BAD_IDS)
  if (random.chance(0.85)) out[key("x-datadog-parent-id")] = random.chance(0.85) ? parent : random.pick(BAD_IDS)
  if (random.chance(0.5)) out[key("x-datadog-sampling-priority")] = random.pick(["1", "2", "-1", "0", "-0", "1e1", "x"])
  if (random.chance(0.3)) out[key("x-datadog-origin")] = random.pick(["rum", "synthetics", " lambda", "a,b", "\u0007"])
  if (random.chance(0.5)) out[key("x-datadog-tags")] = tags(random, traceHigh)
  if (random.chance(0.5)) out[key("traceparent")] = traceparent(random)
  if (random.chance(0.4)) out[key("tracestate")] = tracestate(random)
  if (random.chance(0.2)) out.baggage = "user.id=42,secret=hunter2"
  if (random.chance(0.1)) out["ot-baggage-user"] = "42"
  if (random.chance(0.1))
    out[random.pick(["x-datadog-trace-id ", "toString", "hasOwnProperty", "x-amzn-trace-id"])] = traceLow
  if (random.chance(0.05)) out["x-datadog-trace-id"] = random.pick<Json>([1, null, ["1"], { a: "1" }, true])
  return out
}

/** Checkpoint names: canonical ones and every non-canonical form SPEC §2 rejects. */
const NAMES = [
  "_datadog_0",
  "_datadog_1",
  "_datadog_2",
  "_datadog_12",
  "_datadog_9007199254740991",
  "_datadog_9007199254740992",
  "_datadog_01",
  "_datadog_+3",
  "_datadog_-1",
  "_datadog_ 3",
  "_datadog_1e3",
  "_datadog_3_0",
  "_datadog_",
  "_DATADOG_1",
  "_datadog_1\n",
  "reserve",
  "__proto__",
  "constructor"
]

const payload = (random: Random): Json =>
  random.pick<() => Json>([
    () => JSON.stringify(carrier(random)),
    () => JSON.stringify(carrier(random)),
    () => carrier(random),
    () => '{"note":"a user step"}',
    () => "not json {",
    () => JSON.stringify(JSON.stringify(carrier(random))),
    () => null,
    () => 42
  ])()

const operation = (random: Random, index: number): Json => {
  const name = random.pick(NAMES)
  const op: Record<string, Json> = {
    // Half the time the id a known writer gives this name in this execution (ours, or Datadog's JS writer's), so
    // the checkpoint path is reached; else ids no writer gives (the SDK's 16 hex, other forms).
    Id: random.chance(0.5)
      ? random.pick([Checkpoint.checkpointOperationId(name, ARN), Checkpoint.ddTraceJsOperationId(name, ARN)])
      : random.pick([hex(random, 16), hex(random, 32), `${index}`, ""]),
    Name: name,
    Type: random.pick(["STEP", "STEP", "WAIT", "CONTEXT", 7]),
    SubType: "Step",
    Status: random.pick(["SUCCEEDED", "STARTED", "FAILED"])
  }
  const where = random.int(4)
  if (where === 0 || where === 3) op.StepDetails = { Attempt: 1, Result: payload(random) }
  if (where === 1 || where === 3) op.Payload = payload(random)
  if (where === 2) op.StepDetails = random.pick<Json>([null, "x", [], { Result: null }])
  return op
}

const inputPayload = (random: Random): Json =>
  random.pick<() => Json>([
    () => JSON.stringify({ orderId: "o-1" }),
    () => JSON.stringify({ orderId: "o-1", _datadog: carrier(random) }),
    () => JSON.stringify({ headers: carrier(random) }),
    () => JSON.stringify(carrier(random)),
    () => `{"traceparent": ${JSON.stringify(traceparent(random))}`,
    () => 5
  ])()

const executionOperation = (random: Random): Json => ({
  Id: hex(random, 16),
  Type: "EXECUTION",
  Status: "STARTED",
  ExecutionDetails: { InputPayload: inputPayload(random) }
})

const MARKERS = ["m1", "m2", "m3", ""]

/** A state page: a few operations and maybe a marker, possibly looping back. */
const statePage = (random: Random): Json => {
  const operations = Array.from({ length: random.int(4) }, (_, i) => operation(random, i))
  return random.chance(0.6) ? { Operations: operations, NextMarker: random.pick(MARKERS) } : { Operations: operations }
}

const base64 = (text: string): string => {
  const btoa = (globalThis as unknown as { readonly btoa: (data: string) => string }).btoa
  try {
    return btoa(text)
  } catch {
    return ""
  }
}

/** Event-source events (SPEC §3 step 2): HTTP, SQS, SNS, Kinesis, EventBridge, Step Functions. */
const eventSource = (random: Random): Json =>
  random.pick<() => Json>([
    () => ({ headers: carrier(random) }),
    () => ({ multiValueHeaders: Object.fromEntries(Object.entries(carrier(random)).map(([k, v]) => [k, [v]])) }),
    () => ({ Records: [{ messageAttributes: { _datadog: { stringValue: JSON.stringify(carrier(random)) } } }] }),
    () => ({
      Records: [{ messageAttributes: { _datadog: { binaryValue: base64(JSON.stringify(carrier(random))) } } }]
    }),
    () => ({
      Records: [
        { Sns: { MessageAttributes: { _datadog: { Type: "String", Value: JSON.stringify(carrier(random)) } } } }
      ]
    }),
    () => ({ Records: [{ kinesis: { data: base64(JSON.stringify({ _datadog: carrier(random) })) } }] }),
    () => ({ detail: { _datadog: carrier(random) } }),
    () => ({ _datadog: carrier(random) })
  ])()

/** What the reader is given: the event, the Lambda context, and the further state pages by marker. */
export interface ReaderInput {
  readonly event: Json
  readonly lambdaContext: Json
  readonly pages: { readonly [marker: string]: Json }
}

/** A structure-aware reader input: a durable event (most of the time) or an event-source event. */
export const readerInput = (random: Random): ReaderInput => {
  const lambdaContext: Json = random.chance(0.3)
    ? { clientContext: { custom: random.chance(0.5) ? { _datadog: carrier(random) } : carrier(random) } }
    : null
  if (random.chance(0.15)) return { event: eventSource(random), lambdaContext, pages: {} }
  const operations = [
    executionOperation(random),
    ...Array.from({ length: random.int(6) }, (_, i) => operation(random, i))
  ]
  if (random.chance(0.2)) operations.reverse()
  const state: Record<string, Json> = {
    Operations: random.chance(0.15) ? Object.fromEntries(operations.map((op, i) => [String(i), op])) : operations
  }
  if (random.chance(0.4)) state.NextMarker = random.pick(MARKERS)
  const pages: Record<string, Json> = {}
  for (const marker of MARKERS) if (random.chance(0.5)) pages[marker] = statePage(random)
  return {
    event: {
      DurableExecutionArn: random.chance(0.95) ? ARN : random.pick<Json>(["", 5, null]),
      CheckpointToken: "token-1",
      InitialExecutionState: state
    },
    lambdaContext,
    pages
  }
}

/** `count` values of Effect's `Schema.Json` arbitrary, reproducible from `seed`. */
export const arbitraryJson = (count: number, seed: number): ReadonlyArray<Json> =>
  Effect.runSync(
    Arbitrary.sampleEffect(Arbitrary.schema(Schema.Json), { count, size: 30, seed })
  ) as ReadonlyArray<Json>

const PROTO_KEYS = ["__proto__", "constructor", "prototype"]

/** An object whose own keys include `key`, set as data (JSON.parse makes `__proto__` an own key, too). */
const withOwnKey = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** What a prototype-polluting payload carries: the sentinel, and a valid context to tempt the reader. */
const pollutingValue = (random: Random): Json => ({ [POLLUTION]: true, ...carrier(random) })

interface Slot {
  readonly parent: Record<string, unknown> | Array<unknown>
  readonly key: string | number
}

// Every slot of `root` (iterative: mutated inputs can be deeper than the stack).
const slotsOf = (root: unknown, limit: number): Array<Slot> => {
  const slots: Array<Slot> = []
  const stack: Array<unknown> = [root]
  while (stack.length > 0 && slots.length < limit) {
    const value = stack.pop()
    if (typeof value !== "object" || value === null) continue
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length && i < 64; i++) {
        slots.push({ parent: value, key: i })
        stack.push(value[i])
      }
    } else {
      for (const key of Object.keys(value).slice(0, 64)) {
        slots.push({ parent: value as Record<string, unknown>, key })
        stack.push((value as Record<string, unknown>)[key])
      }
    }
  }
  return slots
}

const flipBit = (random: Random, text: string): string => {
  if (text.length === 0) return String.fromCharCode(random.int(128))
  const i = random.int(text.length)
  return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << random.int(7))) + text.slice(i + 1)
}

const mutateNumber = (random: Random, n: number): Json =>
  random.pick<() => Json>([
    () => n ^ (1 << random.int(31)),
    () => -n,
    () => n + 1,
    () => 2 ** 64,
    () => 1e308,
    () => String(n)
  ])()

const deep = (random: Random, depth: number): Json => {
  let value: Json = carrier(random)
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { _datadog: value } : [value]
  return value
}

/**
 * One random mutation of `root`, in place. A JSON string found on the way (a checkpoint payload, the input
 * payload) is mutated inside and re-encoded half of the time, so payload internals are reached too.
 */
export const mutate = (random: Random, root: unknown): void => {
  const slots = slotsOf(root, 4096)
  if (slots.length === 0) return
  const { parent, key } = random.pick(slots)
  const target = parent as Record<string | number, unknown>
  const current = target[key]
  switch (random.int(11)) {
    case 0: // bit flip in a string or a number
      if (typeof current === "string") {
        if (current.startsWith("{") && random.chance(0.5)) {
          try {
            const inner: unknown = JSON.parse(current)
            mutate(random, inner)
            target[key] = stringify(inner)
            break
          } catch {
            // not JSON after all: flip a bit instead
          }
        }
        target[key] = flipBit(random, current)
      } else if (typeof current === "number") target[key] = mutateNumber(random, current)
      else target[key] = flipBit(random, String(key))
      break
    case 1: // bit flip in a key (a name)
      if (!Array.isArray(parent) && typeof key === "string") {
        delete target[key]
        target[flipBit(random, key)] = current
      }
      break
    case 2: // change the type
      target[key] = random.pick<Json>([null, true, 0, "", [], {}, [current as Json], { value: current as Json }])
      break
    case 3: // delete
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete target[key]
      break
    case 4: // duplicate: the same key in another case, or the element again
      if (Array.isArray(parent)) parent.splice(key as number, 0, copy(current))
      else target[random.pick([String(key).toUpperCase(), `${String(key)} `, String(key)])] = copy(current)
      break
    case 5: // huge
      target[key] =
        typeof current === "string" && current.length > 0
          ? current.repeat(Math.ceil(100_000 / current.length)).slice(0, 100_000)
          : random.pick<() => Json>([
              () => "9".repeat(100_000),
              () => Array.from({ length: 5_000 }, () => "x"),
              () => Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]))
            ])()
      break
    case 6: // deeply nested
      target[key] = deep(random, 500 + random.int(1500))
      break
    case 7: // prototype keys
      if (typeof current === "object" && current !== null && !Array.isArray(current)) {
        withOwnKey(current as Record<string, unknown>, random.pick(PROTO_KEYS), pollutingValue(random))
      } else if (typeof current === "string" && current.startsWith("{")) {
        target[key] = `{"__proto__":${JSON.stringify(pollutingValue(random))},${current.slice(1)}`
      } else {
        const value: Record<string, unknown> = {}
        withOwnKey(value, random.pick(PROTO_KEYS), pollutingValue(random))
        target[key] = value
      }
      break
    case 8: // a valid carrier in an odd place
      target[key] = random.chance(0.5) ? carrier(random) : JSON.stringify(carrier(random))
      break
    case 9: // a checkpoint name
      target[key] = random.pick(NAMES)
      break
    default: {
      // another slot's value here too
      const other = random.pick(slots)
      target[key] = copy((other.parent as Record<string | number, unknown>)[other.key])
    }
  }
}

// core compiles without Node or DOM types; the runtime has structuredClone all the same.
const structuredCloneFn = (globalThis as unknown as { readonly structuredClone: <A>(value: A) => A }).structuredClone

/** `JSON.stringify`, or `"[]"` for a value nested deeper than the stack allows. */
export const stringify = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? "null"
  } catch {
    return "[]"
  }
}

/**
 * A deep copy that keeps own `__proto__` keys as data (`structuredClone` does); a value nested too deep to copy
 * is shared instead (inputs are only read).
 */
export const copy = <A>(value: A): A => {
  try {
    return structuredCloneFn(value)
  } catch {
    return value
  }
}
