/**
 * The warnings of an `inspect` report: what looks wrong across its checkpoints (a user's step named like one, ids
 * the SDK made, oversize payloads, keys readers drop, two writers' N, anchors that disagree) and in the paging.
 * Pure; each has a stable code and a sentence.
 */
import * as Checkpoint from "./Checkpoint.ts"
import type { CheckpointReport, Finding } from "./CheckpointInspection.ts"
import * as Headers from "./Headers.ts"
import type { Anchor, NextContext } from "./Inspection.ts"

// A step result that is JSON but no headers: what a user's step named `_datadog_*` leaves, unlike a corrupt write.
const USER_STEP_PROBLEMS: ReadonlySet<string> = new Set(["no_payload", "not_headers", "no_propagation_headers"])

/** The warnings of a report with these checkpoints, next context and anchor. */
export const warningsOf = (
  checkpoints: ReadonlyArray<CheckpointReport>,
  next: NextContext,
  anchor: Anchor | undefined
): Array<Finding> => {
  const warnings: Array<Finding> = []
  for (const c of checkpoints) {
    if (c.problems.some((p) => USER_STEP_PROBLEMS.has(p.code))) {
      warnings.push({
        code: "user_step",
        message: `${c.name} carries no propagation headers: a user step named _datadog_*? Rename it: readers look at every _datadog_{N}`,
        operation: c.name
      })
    }
    if (c.idForm === "sdk") {
      warnings.push({
        code: "sdk_id",
        message: `${c.name}: id ${c.id} is not durable-trace's 32-hex form: written through the SDK (dd-trace's integration or a user step)`,
        operation: c.name
      })
    }
    if (c.payloadBytes !== undefined && c.payloadBytes > Headers.MAX_PAYLOAD_BYTES) {
      warnings.push({
        code: "oversize_payload",
        message: `${c.name}: payload is ${c.payloadBytes} bytes, over the ${Headers.MAX_PAYLOAD_BYTES}-byte limit (SPEC §4.6)`,
        operation: c.name
      })
    }
    if (c.n === undefined) {
      warnings.push({
        code: "non_canonical_name",
        message: `${c.name} is not a canonical checkpoint name (_datadog_{N}, N decimal without leading zeros): readers ignore it`,
        operation: c.name
      })
    }
    const disallowed = c.dropped.filter((d) => d.why === "not allowed").map((d) => d.key)
    if (disallowed.length > 0) {
      warnings.push({
        code: "disallowed_keys",
        message: `${c.name}: payload carries keys outside the allowlist, dropped by readers: ${disallowed.join(", ")}`,
        operation: c.name
      })
    }
  }
  const byN = new Map<number, Array<CheckpointReport>>()
  for (const c of checkpoints) {
    if (c.n === undefined) continue
    const same = byN.get(c.n)
    if (same === undefined) byN.set(c.n, [c])
    else same.push(c)
  }
  for (const [n, same] of byN) {
    if (same.length < 2) continue
    warnings.push({
      code: "duplicate_n",
      message: `${same.length} operations named ${Checkpoint.checkpointName(n)} (ids ${same.map((c) => c.id ?? "none").join(", ")}): two writers? The reader takes the first valid one in list order`,
      operation: Checkpoint.checkpointName(n)
    })
  }
  if (anchor !== undefined && !anchor.shared) {
    warnings.push({
      code: "anchor_mismatch",
      message: `checkpoints disagree on the anchor: ${anchor.checkpoint} has ${anchor.parentId}, ${anchor.disagreeing.map((d) => `${d.name} has ${d.parentId}`).join(", ")}`
    })
  }
  if (next.paging !== undefined) {
    warnings.push({
      code: "next_marker",
      message: next.paging.readerWouldPage
        ? `the first page ends in NextMarker ${next.paging.nextMarker} and holds no valid checkpoint: the reader would page through the rest (GetDurableExecutionState); further pages were not read here, so the context below is from page 1 only`
        : `the first page ends in NextMarker ${next.paging.nextMarker}: further pages were not read; the reader continues page 1's latest valid checkpoint without paging (the writer pages to number its next one)`
    })
  }
  return warnings
}
