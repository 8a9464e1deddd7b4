/**
 * Hostile values (issue 14 item 17): the reader's inputs with some nodes replaced by objects that throw when
 * touched: Proxies whose traps throw (`get`, `has`, `getOwnPropertyDescriptor`, `ownKeys`, `getPrototypeOf`),
 * revoked Proxies (on which even `Array.isArray` throws), and plain objects and arrays with throwing getters.
 * JSON never holds these, but a caller can hand them over; the functions documented as total must stay total.
 */
import type { Random } from "./Generate.ts"

/** What every hostile trap and getter throws. */
export class HostileTouch extends Error {
  constructor(what: string) {
    super(`hostile value touched: ${what}`)
  }
}

const TRAPS = ["get", "has", "getOwnPropertyDescriptor", "ownKeys", "getPrototypeOf"] as const

/** One hostile stand-in for `node` (an object or array of the input). */
const hostileOf = (random: Random, node: object): object => {
  switch (random.int(4)) {
    case 0: {
      // A Proxy whose one trap throws; the others pass through to the node.
      const trap = random.pick(TRAPS)
      return new Proxy(node, {
        [trap]: () => {
          throw new HostileTouch(trap)
        }
      })
    }
    case 1: {
      const { proxy, revoke } = Proxy.revocable(node, {})
      revoke()
      return proxy
    }
    case 2: {
      // A copy of the node whose own enumerable property `key` (an existing one, or a new one) throws when read.
      const copy: Record<string, unknown> = Array.isArray(node) ? ([...node] as never) : { ...node }
      const keys = Object.keys(copy)
      const key = keys.length > 0 && random.chance(0.7) ? random.pick(keys) : random.pick(["Name", "Operations", "0"])
      Object.defineProperty(copy, key, {
        enumerable: true,
        get: () => {
          throw new HostileTouch(`getter ${key}`)
        }
      })
      return copy
    }
    default:
      // A Proxy that throws on every trap at once.
      return new Proxy(node, {
        get: () => {
          throw new HostileTouch("get")
        },
        has: () => {
          throw new HostileTouch("has")
        },
        getOwnPropertyDescriptor: () => {
          throw new HostileTouch("getOwnPropertyDescriptor")
        },
        ownKeys: () => {
          throw new HostileTouch("ownKeys")
        }
      })
  }
}

/**
 * `root` (a JSON value, not shared with anything else) with some of its objects and arrays replaced by hostile
 * ones, the root itself sometimes included. Each object is replaced with probability `p`.
 */
export const hostile = (random: Random, root: unknown, p = 0.2): unknown => {
  const walk = (value: unknown): unknown => {
    if (typeof value !== "object" || value === null) return value
    const node = value as Record<string, unknown>
    for (const key of Object.keys(node)) node[key] = walk(node[key])
    return random.chance(p) ? hostileOf(random, node) : node
  }
  return walk(root)
}
