import type { Kysely } from 'kysely'
import type { Database } from './database.js'
import { withTimeout } from './dependency-status.js'
import { markEnqueued, markForReplay, type ReplaySelector } from './delivery.repository.js'
import type { DeliveryQueues } from './delivery-queue.js'

/** What a replay did. */
export interface ReplayReport {
  /** Deliveries moved back to pending. */
  readonly replayed: number
  /** Of those, how many are already on their queue; the relay enqueues the rest when Redis answers. */
  readonly enqueued: number
}

/** How a replay queues what it moved back to pending. */
export interface ReplayOptions {
  /** How long to wait for Redis before leaving the queueing to the relay (default 3 s). */
  readonly enqueueTimeoutMs?: number
  /** Only move the rows back to pending (Redis is known to be down): the relay queues them. */
  readonly skipQueue?: boolean
}

/**
 * Replays failed and dead deliveries through the same idempotent path as first deliveries: the
 * ledger moves them to pending, then they are (re-)enqueued under their own delivery id.
 */
export async function replayDeliveries(
  db: Kysely<Database>,
  queues: DeliveryQueues,
  selector: ReplaySelector,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const rows = await markForReplay(db, selector)
  if (rows.length === 0 || options.skipQueue) return { replayed: rows.length, enqueued: 0 }
  try {
    // BullMQ waits for a connection that is not there; the relay does the queueing in that case.
    await withTimeout(queues.requeue(rows), options.enqueueTimeoutMs ?? 3_000, 'Redis did not answer')
  } catch {
    return { replayed: rows.length, enqueued: 0 }
  }
  await markEnqueued(
    db,
    rows.map((row) => row.id),
  )
  return { replayed: rows.length, enqueued: rows.length }
}
