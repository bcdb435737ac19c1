import type { Kysely } from 'kysely'
import { parseScanBody, unpackFindings, countBySeverity, type DeliveryBatch, type DeliveryItem, type ScanDiff } from '@postee/shared'
import { getScansForDelivery, type Database, type DeliveryView, type StoredDiff } from '@postee/store'

function toDiff(stored: StoredDiff | null): ScanDiff | undefined {
  if (!stored) return undefined
  const added = unpackFindings(stored.addedFindings)
  const fixed = unpackFindings(stored.fixedFindings)
  return { added, fixed, addedBySeverity: countBySeverity(added), fixedBySeverity: countBySeverity(fixed) }
}

/**
 * Rebuilds what an output sends from the ledger: the stored body parsed again by its source's
 * parser (deterministic, so the model is the one ingest routed), and the stored diff.
 */
export async function loadBatch(db: Kysely<Database>, key: string, deliveries: readonly DeliveryView[]): Promise<DeliveryBatch> {
  const scans = new Map((await getScansForDelivery(db, deliveries.map((d) => d.scan))).map((scan) => [scan.id, scan]))
  const items: DeliveryItem[] = deliveries.map((delivery) => {
    const stored = scans.get(delivery.scan)
    if (!stored) throw new Error(`scan ${delivery.scan} of delivery ${delivery.id} is gone (removed by retention?)`)
    const { scan } = parseScanBody(Buffer.from(stored.rawBody, 'utf8'), stored.source)
    return {
      deliveryId: delivery.id,
      scanId: stored.id,
      scan,
      rawBody: stored.rawBody,
      outcome: stored.outcome,
      diff: toDiff(stored.diff),
      receivedAt: stored.receivedAt,
    }
  })
  return { key, items }
}
