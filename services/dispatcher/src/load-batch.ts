import type { Kysely } from 'kysely'
import { DeliveryError, countBySeverity, parseScanBody, unpackFindings, type DeliveryBatch, type DeliveryItem, type ScanDiff, type Workload } from '@postee/shared'
import { getScansForDelivery, listBatchMembers, type Database, type DeliveryView, type StoredDiff } from '@postee/store'

function toDiff(stored: StoredDiff | null): ScanDiff | undefined {
  if (!stored) return undefined
  const added = unpackFindings(stored.addedFindings)
  const fixed = unpackFindings(stored.fixedFindings)
  return { added, fixed, addedBySeverity: countBySeverity(added), fixedBySeverity: countBySeverity(fixed) }
}

function mergeWorkloads(own: readonly Workload[], known: readonly Workload[]): Workload[] {
  const key = (w: Workload) => `${w.namespace}/${w.kind}/${w.name}/${w.container}`
  const byKey = new Map([...own, ...known].map((w) => [key(w), w]))
  return [...byKey.values()].sort((a, b) => key(a).localeCompare(key(b)))
}

/**
 * Rebuilds what an output sends from the ledger: for a single delivery its scan, for an
 * aggregation batch the scans of the deliveries it carries in arrival order. Each stored body is
 * parsed again by its source's parser (deterministic, so the model is the one ingest routed).
 */
export async function loadBatch(db: Kysely<Database>, delivery: DeliveryView): Promise<DeliveryBatch> {
  const members = delivery.scan === null ? await listBatchMembers(db, delivery.id) : [delivery]
  const scanIds = members.flatMap((member) => (member.scan ? [member.scan] : []))
  const scans = new Map((await getScansForDelivery(db, scanIds)).map((scan) => [scan.id, scan]))
  const items: DeliveryItem[] = members.map((member) => {
    const stored = member.scan ? scans.get(member.scan) : undefined
    if (!stored) throw new DeliveryError(`the scan of delivery ${member.id} is gone (removed by retention?)`, 'unknown', false)
    const { scan } = parseScanBody(Buffer.from(stored.rawBody, 'utf8'), stored.source)
    return {
      deliveryId: member.id,
      scanId: stored.id,
      // The message names every workload known to run the image when it is sent, not only the first.
      scan: { ...scan, workloads: mergeWorkloads(scan.workloads, stored.knownWorkloads) },
      rawBody: stored.rawBody,
      outcome: stored.outcome,
      diff: toDiff(stored.diff),
      receivedAt: stored.receivedAt,
    }
  })
  if (items.length === 0) throw new DeliveryError(`batch ${delivery.id} carries no deliveries`, 'unknown', false)
  return { key: delivery.id, items, aggregated: delivery.scan === null }
}
