import { DEFAULT_RELAY_SETTINGS, type RelaySettings } from '@postee/shared'
import { sql, type Kysely } from 'kysely'
import type { Database } from './database.js'
import { markEnqueued } from './delivery.repository.js'
import type { DeliveryQueues } from './delivery-queue.js'

/**
 * One relay pass: enqueues in-flight deliveries whose job may not exist (never enqueued, or
 * enqueued long ago and Redis may have lost it). Safe to run from every replica at once: job id =
 * delivery id makes a second add a no-op, and the ledger refuses a delivery already final.
 * Runs in every ingest and dispatcher process; why both: docs/delivery-guarantees.md, "Where the
 * relay runs". Returns how many rows it handed to the queue.
 */
export async function relayPendingDeliveries(
  db: Kysely<Database>,
  queues: DeliveryQueues,
  settings: RelaySettings = DEFAULT_RELAY_SETTINGS,
): Promise<number> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['id', 'output'])
    .where('status', 'in', ['pending', 'sending'])
    .where((eb) =>
      eb.or([
        eb.and([
          eb('enqueued_at', 'is', null),
          eb('created_at', '<', sql<Date>`now() - make_interval(secs => ${settings.unqueuedAfterMs / 1000})`),
        ]),
        eb('enqueued_at', '<', sql<Date>`now() - make_interval(secs => ${settings.requeueAfterMs / 1000})`),
      ]),
    )
    .orderBy('created_at')
    .limit(settings.batchSize)
    .execute()
  if (rows.length === 0) return 0
  await queues.requeue(rows)
  await markEnqueued(
    db,
    rows.map((row) => row.id),
  )
  return rows.length
}
