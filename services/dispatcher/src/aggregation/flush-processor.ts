import { randomUUID } from 'node:crypto'
import { DelayedError, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import { windowFlushJobId, type FlushJobData, type Integration } from '@postee/shared'
import { flushOutput, markEnqueued, type Database, type DeliveryQueues, type Logger } from '@postee/store'

/** How long a flush waits when Postgres cannot be reached. */
const LEDGER_RETRY_MS = 5_000

/** What the flush job of one aggregated output needs. */
export interface FlushProcessorDependencies {
  readonly db: Kysely<Database>
  readonly integration: Integration
  readonly queues: DeliveryQueues
  readonly log: Logger
}

/**
 * Turns the held deliveries of an output's audience (the job's) into one batch delivery when its window has ended or its
 * count is reached (the decision and the batch are made in Postgres, under a lock), then queues
 * the batch like any delivery and schedules the next window's flush. A job that comes early waits
 * until the window's end; a failure to enqueue is left to the relay.
 */
export function createFlushProcessor(deps: FlushProcessorDependencies) {
  const { integration } = deps
  return async (job: Job<FlushJobData>, token?: string): Promise<void> => {
    const audience = job.data.audience ?? ''
    let outcome
    try {
      outcome = await flushOutput(
        deps.db,
        { name: integration.name, kind: integration.kind, aggregation: integration.aggregation },
        randomUUID(),
        audience,
      )
    } catch (error) {
      deps.log.warn({ output: integration.name, err: (error as Error).message }, 'flush failed (database?); trying again shortly')
      await job.moveToDelayed(Date.now() + LEDGER_RETRY_MS, token)
      throw new DelayedError()
    }
    if (outcome.notBefore) {
      await job.moveToDelayed(outcome.notBefore.getTime() + 10, token)
      throw new DelayedError()
    }
    const log = deps.log.child({ output: integration.name })
    if (outcome.batch) {
      log.info({ batch: outcome.batch.id, size: outcome.batch.size, ...(audience === '' ? {} : { audience }) }, 'aggregation batch flushed')
      try {
        await deps.queues.enqueue([{ id: outcome.batch.id, output: integration.name }])
        await markEnqueued(deps.db, [outcome.batch.id])
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'could not enqueue the batch; the relay will')
      }
    }
    const next = outcome.next
    if (next) {
      if (next.full) await deps.queues.scheduleFlush(integration.name, `flush.full.${randomUUID()}`, 0, audience)
      else if (next.flushAt)
        await deps.queues.scheduleFlush(
          integration.name,
          windowFlushJobId(next.openedAt, audience),
          next.flushAt.getTime() - Date.now(),
          audience,
        )
    }
  }
}
