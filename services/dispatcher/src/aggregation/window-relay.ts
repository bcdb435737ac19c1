import type { Kysely } from 'kysely'
import { mustFlushNow, windowEnd, windowFlushJobId, type Integration } from '@postee/shared'
import { listOpenWindows, type Database, type DeliveryQueues } from '@postee/store'

/**
 * Makes sure every output (and audience) with held deliveries has its flush scheduled, whatever was lost (a
 * Redis restart, a crash between commit and enqueue): the window's deterministic job id makes this
 * a no-op when the job exists. Runs only in the dispatcher (docs/delivery-guarantees.md, "Where the
 * relay runs"). Returns how many windows it looked at.
 */
export async function relayAggregationWindows(
  db: Kysely<Database>,
  queues: DeliveryQueues,
  integrations: ReadonlyMap<string, Integration>,
): Promise<number> {
  const windows = await listOpenWindows(db)
  for (const window of windows) {
    const integration = integrations.get(window.output)
    if (!integration) continue
    const { aggregation } = integration
    if (mustFlushNow(window.held, aggregation)) {
      const audience = window.audience === '' ? '' : `${window.audience}.`
      await queues.scheduleFlush(window.output, `flush.full.${audience}${window.openedAt.getTime()}.${window.held}`, 0, window.audience)
      continue
    }
    const flushAt = window.flushAt ?? windowEnd(window.openedAt, aggregation)
    if (flushAt)
      await queues.scheduleFlush(
        window.output,
        windowFlushJobId(window.openedAt, window.audience),
        flushAt.getTime() - Date.now(),
        window.audience,
      )
  }
  return windows.length
}
