import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { routeScan, scanFingerprint, windowFlushJobId, type Config, type Scan, type ScanOutcome } from '@postee/shared'
import { markEnqueued, recordScan, type AggregationTrigger, type Database, type DeliveryQueues, type Logger, type PlannedDelivery } from '@postee/store'
import type { IngestMetrics } from './metrics.js'

/** What the orchestrator needs; the current config is read per scan so a reload takes effect. */
export interface IngestDependencies {
  readonly db: Kysely<Database>
  readonly queues: DeliveryQueues
  readonly config: () => Config
  readonly log: Logger
  readonly metrics: IngestMetrics
  /** How long to wait for Redis before leaving the deliveries to the relay. */
  readonly enqueueTimeoutMs: number
}

/** The answer to an accepted scan (contract.md `202`). */
export interface IngestResult {
  readonly id: string
  readonly outcome: ScanOutcome
  readonly deliveries: readonly { readonly id: string; readonly output: string; readonly status: string }[]
}

/**
 * The one orchestrator: diff and route in one transaction (scan, decision and delivery rows
 * commit together or not at all), then enqueue. Once the commit is done the scan is never lost:
 * if Redis fails, the rows stay `pending` and the relay enqueues them later.
 */
export async function ingestScan(deps: IngestDependencies, scan: Scan, rawBody: string): Promise<IngestResult> {
  const id = randomUUID()
  const log = deps.log.child({ scan: id, image: scan.image, registry: scan.registry })
  const recorded = await recordScan(deps.db, { id, scan, rawBody, fingerprint: scanFingerprint(scan) }, ({ outcome }) =>
    planDeliveries(deps, scan, outcome, log),
  )
  const { outcome } = recorded.decision
  deps.metrics.scansReceived.inc({ outcome })
  log.info({ outcome, deliveries: recorded.deliveries.length }, 'scan stored')
  await enqueueCommitted(deps, recorded.deliveries, log)
  await scheduleFlushes(deps, recorded.aggregation, log)
  return {
    id,
    outcome,
    deliveries: recorded.deliveries.map((d) => ({ id: d.id, output: d.output, status: d.status })),
  }
}

function planDeliveries(deps: IngestDependencies, scan: Scan, outcome: ScanOutcome, log: Logger): PlannedDelivery[] {
  const planned: PlannedDelivery[] = []
  for (const { integration, decision } of routeScan(deps.config().integrations, scan, outcome)) {
    if (!decision.send) {
      log.debug({ output: integration.name, key: decision.key, reason: decision.reason }, 'integration skipped')
      continue
    }
    const { aggregation } = integration
    const aggregated = aggregation.issuesNumber !== undefined || aggregation.timeoutMs !== undefined
    planned.push(
      aggregated
        ? { id: randomUUID(), output: integration.name, kind: integration.kind, status: 'buffered', aggregation }
        : { id: randomUUID(), output: integration.name, kind: integration.kind, status: 'pending' },
    )
  }
  return planned
}

/**
 * Schedules the flush of each window this scan opened (a delayed job, so it fires even if no scan
 * ever follows) and an immediate flush where a count was reached. If Redis is down, the
 * dispatcher's relay schedules them from the windows table.
 */
async function scheduleFlushes(deps: IngestDependencies, triggers: readonly AggregationTrigger[], log: Logger): Promise<void> {
  for (const trigger of triggers) {
    try {
      if (trigger.opened?.flushAt) {
        const delay = trigger.opened.flushAt.getTime() - Date.now()
        await withTimeout(deps.queues.scheduleFlush(trigger.output, windowFlushJobId(trigger.opened.openedAt), delay), deps.enqueueTimeoutMs)
      }
      if (trigger.full) await withTimeout(deps.queues.scheduleFlush(trigger.output, `flush.full.${randomUUID()}`, 0), deps.enqueueTimeoutMs)
    } catch (error) {
      log.warn({ output: trigger.output, err: (error as Error).message }, 'could not schedule an aggregation flush; the relay will')
    }
  }
}

async function enqueueCommitted(deps: IngestDependencies, deliveries: readonly PlannedDelivery[], log: Logger): Promise<void> {
  const queued = deliveries.filter((d) => d.status === 'pending')
  if (queued.length === 0) return
  try {
    await withTimeout(deps.queues.enqueue(queued), deps.enqueueTimeoutMs)
  } catch (error) {
    deps.metrics.enqueueFailures.inc()
    log.warn({ err: (error as Error).message }, 'could not enqueue; the relay will enqueue the committed deliveries')
    return
  }
  // Only saves the relay some work, so it need not hold up the answer.
  markEnqueued(
    deps.db,
    queued.map((d) => d.id),
  ).catch((error: Error) => log.warn({ err: error.message }, 'could not mark deliveries enqueued'))
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
