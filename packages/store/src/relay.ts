import { ConfigError, type ConfigProblem } from '@postee/shared'
import { sql, type Kysely } from 'kysely'
import type { Database } from './database.js'
import { markEnqueued } from './delivery.repository.js'
import type { DeliveryQueues } from './delivery-queue.js'

/** When the relay considers an in-flight delivery's job possibly missing. */
export interface RelaySettings {
  /** A pending row never enqueued (Redis was down at commit) is relayed after this long. */
  readonly unqueuedAfterMs: number
  /** An enqueued row still in flight is re-added after this long, in case Redis lost its job. */
  readonly requeueAfterMs: number
  /** Rows per pass. */
  readonly batchSize: number
}

/** Defaults: quick for the Redis-was-down case, patient for jobs that are merely waiting. */
export const DEFAULT_RELAY_SETTINGS: RelaySettings = { unqueuedAfterMs: 5_000, requeueAfterMs: 120_000, batchSize: 500 }

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

/**
 * Relay settings from POSTEE_RELAY_UNQUEUED_MS and POSTEE_RELAY_REQUEUE_MS (the defaults above
 * when unset); throws a ConfigError naming every variable that is not a number ≥ 0.
 */
export function relaySettingsFromEnv(env: NodeJS.ProcessEnv): RelaySettings {
  const problems: ConfigProblem[] = []
  const read = (name: string, fallback: number): number => {
    const text = env[name]
    if (text === undefined || text.trim() === '') return fallback
    const value = Number(text)
    if (Number.isFinite(value) && value >= 0) return value
    problems.push({
      item: 'environment',
      key: name,
      message: `${JSON.stringify(text)} is not a number of milliseconds ≥ 0; write e.g. ${fallback}`,
    })
    return fallback
  }
  const settings = {
    unqueuedAfterMs: read('POSTEE_RELAY_UNQUEUED_MS', DEFAULT_RELAY_SETTINGS.unqueuedAfterMs),
    requeueAfterMs: read('POSTEE_RELAY_REQUEUE_MS', DEFAULT_RELAY_SETTINGS.requeueAfterMs),
    batchSize: DEFAULT_RELAY_SETTINGS.batchSize,
  }
  if (problems.length > 0) throw new ConfigError(problems, 'Invalid environment')
  return settings
}
