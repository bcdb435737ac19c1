import type { Kysely } from 'kysely'
import {
  DeliveryError,
  SEVERITIES,
  countBySeverity,
  parseScanBody,
  zeroCounts,
  unpackFindings,
  type DeliveryBatch,
  type DeliveryItem,
  type ScanDiff,
  type Workload,
} from '@postee/shared'
import {
  getScansForDelivery,
  listBatchMembers,
  type ClaimedDelivery,
  type Database,
  type DeliveryView,
  type ScanForDelivery,
  type StoredDiff,
} from '@postee/store'

// The stored lists are bounded (the most severe SUMMARY_ROWS); the counts are whole.
function toDiff(stored: StoredDiff | null): ScanDiff | undefined {
  if (!stored) return undefined
  const added = unpackFindings(stored.addedFindings)
  const fixed = unpackFindings(stored.fixedFindings)
  const level = (key: 'added' | 'fixed') => {
    const counts = zeroCounts()
    for (const severity of SEVERITIES) counts[severity] = stored.bySeverity[severity]?.[key] ?? 0
    return counts
  }
  const complete = stored.added === added.length && stored.fixed === fixed.length
  return {
    added,
    fixed,
    addedBySeverity: complete ? countBySeverity(added) : level('added'),
    fixedBySeverity: complete ? countBySeverity(fixed) : level('fixed'),
    ...(stored.added > added.length ? { omittedAdded: stored.added - added.length } : {}),
    ...(stored.fixed > fixed.length ? { omittedFixed: stored.fixed - fixed.length } : {}),
  }
}

function mergeWorkloads(own: readonly Workload[], known: readonly Workload[]): Workload[] {
  const key = (w: Workload) => `${w.namespace}/${w.kind}/${w.name}/${w.container}`
  const byKey = new Map([...own, ...known].map((w) => [key(w), w]))
  return [...byKey.values()].sort((a, b) => key(a).localeCompare(key(b)))
}

/**
 * One item of a message, built from the ledger. The scan model is read only when an output asks
 * for it: the bounded summary ingest stored (a few kilobytes, whatever the scan's size), or for
 * rows stored before summaries, parsed from the body by its source's own parser. A webhook, which
 * streams the body as it is, pays for neither; the body is decompressed only when read.
 */
function itemOf(member: DeliveryView, stored: ScanForDelivery): DeliveryItem {
  let scan: DeliveryItem['scan'] | undefined
  return {
    deliveryId: member.id,
    scanId: stored.id,
    get scan() {
      if (scan === undefined) {
        const parsed = stored.summary ?? parseScanBody(Buffer.from(stored.rawBody, 'utf8'), stored.source).scan
        // The message names every workload known to run the image when it is sent, not only the first.
        scan = { ...parsed, workloads: mergeWorkloads(parsed.workloads, stored.knownWorkloads) }
      }
      return scan
    },
    get rawBody() {
      return stored.rawBody
    },
    openBody: () => stored.openBody(),
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
