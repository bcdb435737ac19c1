import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { routeScan, scanFingerprint, type Config, type Scan, type ScanOutcome } from '@postee/shared'
import { markEnqueued, recordScan, type Database, type DeliveryQueues, type Logger, type PlannedDelivery } from '@postee/store'
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
    planned.push({ id: randomUUID(), output: integration.name, kind: integration.kind, status: 'pending' })
  }
  return planned
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
