import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import {
  GroupCommit,
  audienceKey,
  isAggregated,
  routeScan,
  scanFingerprint,
  windowFlushJobId,
  windowKey,
  type Config,
  type Scan,
  type ScanOutcome,
} from '@postee/shared'
import {
  DependencyUnavailableError,
  clearEnqueued,
  isPostgresConnectionError,
  isRedisConnectionError,
  recordScans,
  type AggregationTrigger,
  type Database,
  type DeliveryQueues,
  type Logger,
  type PlannedDelivery,
  type RecordedScan,
  type ScanToRecord,
} from '@postee/store'
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
  /** False while Postgres is known to be unreachable: scans are then refused without trying. */
  readonly databaseUp?: () => boolean
}

/** The answer to an accepted scan (the `202` body of `POST /scan`, docs/http-api.md). */
export interface IngestResult {
  readonly id: string
  readonly outcome: ScanOutcome
  readonly deliveries: readonly { readonly id: string; readonly output: string; readonly status: string }[]
}

/** Ingests one parsed scan: the function the HTTP route calls. */
export type IngestScan = (scan: Scan, rawBody: string | Uint8Array) => Promise<IngestResult>

// One transaction at a time per process, of up to 64 scans or 8 MB of bodies: measured, a single
// writer with larger batches beats several small concurrent ones on this workload (fewer round
// trips and context switches; see docs/performance.md). Enqueues of whatever committed
// meanwhile share one bulk add per output.
const COMMIT_BATCH = { maxBatch: 64, maxConcurrent: 1, maxWeight: 8 * 1024 * 1024, weightOf: (input: ScanToRecord) => input.rawBody.length }
const ENQUEUE_BATCH = { maxBatch: 512, maxConcurrent: 1 }

/**
 * The one orchestrator: diff and route in one transaction (scan, decision and delivery rows
 * commit together or not at all), then enqueue, then answer. Concurrent scans are committed and
 * enqueued in groups (see GroupCommit), so the cost of a transaction and of a Redis round trip is
 * shared. Once the commit is done the scan is never lost: if Redis fails, the rows stay `pending`
 * and the relay enqueues them later.
 */
export function createScanIngestor(deps: IngestDependencies): IngestScan {
  const record = async (inputs: readonly ScanToRecord[]) => {
    if (deps.databaseUp && !deps.databaseUp()) throw new DependencyUnavailableError('postgres')
    return recordScans(deps.db, inputs, (input, decision) => planDeliveries(deps, input, decision.outcome))
  }
  const commits = new GroupCommit<ScanToRecord, RecordedScan | { readonly failed: unknown }>(
    (inputs) => recordIsolated(record, inputs),
    (input) => ({ group: `${input.scan.registry}\u001f${input.scan.image}`, member: input.scan.digest }),
    COMMIT_BATCH,
  )
  let next = 0
  const enqueues = new GroupCommit<RecordedScan, void>(
    (recorded) => enqueueCommitted(deps, recorded),
    () => ({ group: String(next++), member: '' }),
    ENQUEUE_BATCH,
  )
  return async (scan, rawBody) => {
    const id = randomUUID()
    const result = await commits.submit({ id, scan, rawBody, fingerprint: scanFingerprint(scan) })
    if ('failed' in result) throw result.failed
    const recorded = result
    const { outcome } = recorded.decision
    deps.metrics.scansReceived.inc({ outcome })
    deps.log.info({ scan: id, image: scan.image, registry: scan.registry, outcome, deliveries: recorded.deliveries.length }, 'scan stored')
    await enqueues.submit(recorded)
    return { id, outcome, deliveries: recorded.deliveries.map((d) => ({ id: d.id, output: d.output, status: d.status })) }
  }
}

/**
 * Records a batch; if it fails, records its scans one by one, so a scan Postgres refuses fails
 * alone and the others of its batch still commit (a database that is down fails them all).
 */
export async function recordIsolated(
  record: (inputs: readonly ScanToRecord[]) => Promise<RecordedScan[]>,
  inputs: readonly ScanToRecord[],
): Promise<(RecordedScan | { readonly failed: unknown })[]> {
  try {
    return await record(inputs)
  } catch (error) {
    // Postgres out of reach fails the whole batch; trying each scan again would only wait longer.
    if (inputs.length === 1 || isPostgresConnectionError(error)) return inputs.map(() => ({ failed: error }))
    const results: (RecordedScan | { readonly failed: unknown })[] = []
    for (const input of inputs)
      results.push(
        await record([input]).then(
          ([recorded]) => recorded!,
          (failed: unknown) => ({ failed }),
        ),
      )
    return results
  }
}

function planDeliveries(deps: IngestDependencies, input: ScanToRecord, outcome: ScanOutcome): PlannedDelivery[] {
  const planned: PlannedDelivery[] = []
  for (const { integration, decision } of routeScan(deps.config().integrations, input.scan, outcome)) {
    if (!decision.send) {
      deps.log.debug({ scan: input.id, output: integration.name, key: decision.key, reason: decision.reason }, 'integration skipped')
      continue
    }
    const { aggregation } = integration
    planned.push(
      isAggregated(aggregation)
        ? {
            id: randomUUID(),
            output: integration.name,
            kind: integration.kind,
            status: 'buffered',
            aggregation,
            audience: audienceKey(integration, input.scan),
          }
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
        await withTimeout(
          deps.queues.scheduleFlush(trigger.output, windowFlushJobId(trigger.opened.openedAt, trigger.audience), delay, trigger.audience),
          deps.enqueueTimeoutMs,
        )
      }
      if (trigger.full)
        await withTimeout(
          deps.queues.scheduleFlush(trigger.output, `flush.full.${randomUUID()}`, 0, trigger.audience),
          deps.enqueueTimeoutMs,
        )
    } catch (error) {
      log.warn({ output: trigger.output, err: (error as Error).message }, 'could not schedule an aggregation flush; the relay will')
    }
  }
}

/**
 * Enqueues the pending deliveries of a group of committed scans with one bulk add per output and
 * schedules their aggregation flushes. Never throws: whatever Redis does not take now, the relay
 * (deliveries) or the dispatcher's window relay (flushes) takes later.
 */
async function enqueueCommitted(deps: IngestDependencies, recorded: readonly RecordedScan[]): Promise<void[]> {
  const queued = recorded.flatMap((r) => r.deliveries.filter((d) => d.status === 'pending'))
  if (queued.length > 0) {
    try {
      await withTimeout(deps.queues.enqueue(queued), deps.enqueueTimeoutMs)
    } catch (error) {
      deps.metrics.enqueueFailures.inc()
      // While Redis is down this happens to every scan; the outage itself is logged once.
      const level = isRedisConnectionError(error) ? 'debug' : 'warn'
      deps.log[level](
        { err: (error as Error).message, deliveries: queued.length },
        'could not enqueue; the relay will enqueue the committed deliveries',
      )
      // The rows were stamped enqueued at commit; clearing it lets the relay take them at once.
      await clearEnqueued(
        deps.db,
        queued.map((d) => d.id),
      ).catch((clearError: Error) =>
        deps.log.warn({ err: clearError.message }, 'could not clear the enqueued stamp; the relay rechecks later'),
      )
    }
  }
  // Scans of one batch share their windows' triggers: schedule each once.
  const triggers = new Map(recorded.flatMap((r) => r.aggregation).map((t) => [windowKey(t.output, t.audience), t]))
  await scheduleFlushes(deps, [...triggers.values()], deps.log)
  return recorded.map(() => undefined)
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
