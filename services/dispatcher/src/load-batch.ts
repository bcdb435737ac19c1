import type { Kysely } from 'kysely'
import { DeliveryError, countBySeverity, parseScanBody, unpackFindings, type DeliveryBatch, type DeliveryItem, type ScanDiff, type Workload } from '@postee/shared'
import { getScansForDelivery, listBatchMembers, type ClaimedDelivery, type Database, type DeliveryView, type ScanForDelivery, type StoredDiff } from '@postee/store'

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
 * One item of a message, built from the ledger. The scan model is parsed from the stored body
 * only when an output asks for it (by its source's own parser, deterministic, so it is the model
 * ingest routed): a webhook, which forwards the body as it is, never pays for parsing.
 */
function itemOf(member: DeliveryView, stored: ScanForDelivery): DeliveryItem {
  let scan: DeliveryItem['scan'] | undefined
  return {
    deliveryId: member.id,
    scanId: stored.id,
    get scan() {
      if (scan === undefined) {
        const parsed = parseScanBody(Buffer.from(stored.rawBody, 'utf8'), stored.source).scan
        // The message names every workload known to run the image when it is sent, not only the first.
        scan = { ...parsed, workloads: mergeWorkloads(parsed.workloads, stored.knownWorkloads) }
      }
      return scan
    },
    rawBody: stored.rawBody,
    outcome: stored.outcome,
    diff: toDiff(stored.diff),
    receivedAt: stored.receivedAt,
  }
}

/**
 * Rebuilds what an output sends from the ledger: for a single delivery its scan, for an
 * aggregation batch the scans of the deliveries it carries, in arrival order.
 */
export async function loadBatch(db: Kysely<Database>, delivery: DeliveryView): Promise<DeliveryBatch> {
  const members = delivery.scan === null ? await listBatchMembers(db, delivery.id) : [delivery]
  const scanIds = members.flatMap((member) => (member.scan ? [member.scan] : []))
  const scans = new Map((await getScansForDelivery(db, scanIds)).map((scan) => [scan.id, scan]))
  const items = members.map((member) => {
    const stored = member.scan ? scans.get(member.scan) : undefined
    if (!stored) throw new DeliveryError(`the scan of delivery ${member.id} is gone (removed by retention?)`, 'unknown', false)
    return itemOf(member, stored)
  })
  if (items.length === 0) throw new DeliveryError(`batch ${delivery.id} carries no deliveries`, 'unknown', false)
  return { key: delivery.id, items, aggregated: delivery.scan === null }
}

/** The batch of a claimed delivery: built from what the claim returned, without another query for a single scan. */
export async function batchOfClaim(db: Kysely<Database>, claimed: ClaimedDelivery): Promise<DeliveryBatch> {
  const { delivery, scan } = claimed
  if (delivery.scan === null || !scan) return loadBatch(db, delivery)
  return { key: delivery.id, items: [itemOf(delivery, scan)], aggregated: false }
}
