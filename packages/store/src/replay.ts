import type { Kysely } from 'kysely'
import type { Database } from './database.js'
import { markEnqueued, markForReplay, type ReplaySelector } from './delivery.repository.js'
import type { DeliveryQueues } from './delivery-queue.js'

/** What a replay did. */
export interface ReplayReport {
  /** Deliveries moved back to pending. */
  readonly replayed: number
  /** Of those, how many are already on their queue; the relay enqueues the rest when Redis answers. */
  readonly enqueued: number
}

/**
 * Replays failed and dead deliveries through the same idempotent path as first deliveries: the
 * ledger moves them to pending, then they are (re-)enqueued under their own delivery id.
 */
export async function replayDeliveries(db: Kysely<Database>, queues: DeliveryQueues, selector: ReplaySelector): Promise<ReplayReport> {
  const rows = await markForReplay(db, selector)
  if (rows.length === 0) return { replayed: 0, enqueued: 0 }
  try {
    await queues.requeue(rows)
  } catch {
    return { replayed: rows.length, enqueued: 0 }
  }
  await markEnqueued(
    db,
    rows.map((row) => row.id),
  )
  return { replayed: rows.length, enqueued: rows.length }
}
