import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, DeliveriesTable, DeliveryStatus } from './database.js'
import { toScanForDelivery, type ScanForDelivery } from './scan-query.repository.js'

/** A delivery row as the API shows it. */
export interface DeliveryView {
  readonly id: string
  /** Null for an aggregation batch. */
  readonly scan: string | null
  /** For a held delivery: the batch that carries it. */
  readonly batch: string | null
  readonly output: string
  readonly kind: string
  readonly status: DeliveryStatus
  readonly attempts: number
  readonly lastError: string | null
  readonly externalId: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** Filters of the deliveries listing; all optional, combined with AND. */
export interface DeliveryFilter {
  readonly scan?: string
  readonly status?: DeliveryStatus
  readonly output?: string
  /** Only deliveries last updated at or after this time. */
  readonly since?: Date
  readonly limit?: number
}

function toView(row: Selectable<DeliveriesTable>): DeliveryView {
  return {
    id: row.id,
    scan: row.scan_id,
    batch: row.batch_id,
    output: row.output,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    externalId: row.external_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** A delivery in a listing, with the image its scan was of (null for an aggregation batch). */
export interface DeliveryListing extends DeliveryView {
  readonly registry: string | null
  readonly image: string | null
}

/** The most rows one listing returns, and the number returned when the caller does not say. */
export const DELIVERY_LIST_LIMIT = { max: 1000, default: 500 } as const

/** Lists deliveries, newest first, at most `limit` (default 500, at most 1000). */
export async function listDeliveries(db: Kysely<Database>, filter: DeliveryFilter): Promise<DeliveryListing[]> {
  let query = db
    .selectFrom('deliveries')
    .leftJoin('scans', 'scans.id', 'deliveries.scan_id')
    .selectAll('deliveries')
    .select(['scans.registry', 'scans.image'])
  if (filter.scan) query = query.where('deliveries.scan_id', '=', filter.scan)
  if (filter.status) query = query.where('deliveries.status', '=', filter.status)
  if (filter.output) query = query.where('deliveries.output', '=', filter.output)
  if (filter.since) query = query.where('deliveries.updated_at', '>=', filter.since)
  const limit = Math.min(filter.limit ?? DELIVERY_LIST_LIMIT.default, DELIVERY_LIST_LIMIT.max)
  const rows = await query.orderBy('deliveries.created_at', 'desc').orderBy('deliveries.id').limit(limit).execute()
  return rows.map((row) => ({ ...toView(row), registry: row.registry, image: row.image }))
}

/** Reads one delivery. */
export async function getDelivery(db: Kysely<Database>, id: string): Promise<DeliveryView | undefined> {
  const row = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toView(row) : undefined
}

/** Notes that deliveries are in the queue, so the relay leaves them alone. */
export async function markEnqueued(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await db
    .updateTable('deliveries')
    .set({ enqueued_at: sql`now()` })
    .where('id', 'in', ids)
    .execute()
}

/**
 * Claims a delivery for one attempt: pending (or a `sending` left by a crashed worker) becomes
 * `sending` with one more attempt. Undefined when it is already final or buffered, so a duplicate
 * job or a replay of something delivered does nothing.
 */
export async function claimDelivery(db: Kysely<Database>, id: string): Promise<DeliveryView | undefined> {
  const claimed = (await claimDeliveries(db, [id])).get(id)?.delivery
  return claimed?.status === 'sending' ? claimed : undefined
}

/** Records a successful send; the deliveries a batch carried are sent with it. */
export async function markSent(db: Kysely<Database>, id: string, externalId: string | undefined): Promise<void> {
  await markSentMany(db, [{ id, externalId }])
}

/** Records a failed attempt: `pending` when another attempt follows, else `failed` or `dead`. */
export async function markAttemptFailed(
  db: Kysely<Database>,
  id: string,
  status: Extract<DeliveryStatus, 'pending' | 'failed' | 'dead'>,
  error: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('deliveries')
      .set({ status, last_error: error, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .executeTakeFirst()
    // A batch's final failure is its held deliveries' too; while it retries they stay buffered.
    if (status !== 'pending' && Number(updated.numUpdatedRows) > 0) {
      await trx
        .updateTable('deliveries')
        .set({ status, last_error: error, updated_at: sql`now()` })
        .where('batch_id', '=', id)
        .execute()
    }
  })
}

/** Gives back an attempt that did not happen (a rate-limit pause, a drain): pending, attempt uncounted. */
export async function releaseClaim(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({ status: 'pending', attempts: sql`greatest(attempts - 1, 0)`, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute()
}

/** Which failed or dead deliveries a replay takes: by id, by output, since a time (combined with AND). */
export interface ReplaySelector {
  readonly ids?: readonly string[]
  readonly output?: string
  readonly since?: Date
}

/**
 * Moves failed and dead deliveries back to `pending` with a fresh set of attempts (their last
 * error stays until the next attempt). A held delivery is replayed through the batch that carried
 * it, which takes its held deliveries back to `buffered`. Anything else, `sent` included, is left
 * as it is, so a replay never delivers twice. Returns the rows moved; enqueueing them is the
 * caller's next step (and the relay's, if that fails).
 */
export async function markForReplay(db: Kysely<Database>, selector: ReplaySelector): Promise<{ id: string; output: string }[]> {
  return db.transaction().execute(async (trx) => {
    let query = trx.selectFrom('deliveries').select(['id', 'batch_id']).where('status', 'in', ['failed', 'dead'])
    if (selector.ids)
      query = query.where('id', 'in', selector.ids.length > 0 ? [...selector.ids] : ['00000000-0000-0000-0000-000000000000'])
    if (selector.output) query = query.where('output', '=', selector.output)
    if (selector.since) query = query.where('updated_at', '>=', selector.since)
    const targets = [...new Set((await query.execute()).map((row) => row.batch_id ?? row.id))]
    if (targets.length === 0) return []
    const replayed = await trx
      .updateTable('deliveries')
      .set({ status: 'pending', attempts: 0, stalls: 0, enqueued_at: null, updated_at: sql`now()` })
      .where('id', 'in', targets)
      .where('status', 'in', ['failed', 'dead'])
      .returning(['id', 'output'])
      .execute()
    if (replayed.length > 0) {
      await trx
        .updateTable('deliveries')
        .set({ status: 'buffered', updated_at: sql`now()` })
        .where(
          'batch_id',
          'in',
          replayed.map((row) => row.id),
        )
        .execute()
    }
    return replayed
  })
}

/** The deliveries a batch carries, in arrival order. */
export async function listBatchMembers(db: Kysely<Database>, batchId: string): Promise<DeliveryView[]> {
  const rows = await db.selectFrom('deliveries').selectAll().where('batch_id', '=', batchId).orderBy('created_at').orderBy('id').execute()
  return rows.map(toView)
}

/** A claimed delivery and, for a single-scan delivery, what its message is built from. */
export interface ClaimedDelivery {
  readonly delivery: DeliveryView
  /** Undefined for an aggregation batch (its members are read separately) or a scan removed by retention. */
  readonly scan: ScanForDelivery | undefined
}

interface ClaimRow extends Selectable<DeliveriesTable> {
  source: string | null
  outcome: 'new' | 'changed' | 'unchanged' | null
  raw_body: string | null
  body: Buffer | null
  summary: Buffer | null
  diff: unknown
  received_at: Date | null
  workloads: unknown
}

/**
 * How many times a worker may stop while sending one delivery (a SIGKILL, an out-of-memory crash)
 * before the delivery is `dead`: an ordinary restart costs one, a delivery that kills every worker
 * that sends it stops after this many.
 */
export const STALL_LIMIT = 3

/** The reason a delivery that stopped its worker STALL_LIMIT times is dead with. */
export function stalledReason(stalls: number): string {
  return `the worker stopped while sending, ${stalls} times (killed or out of memory); see the dispatcher's logs, then replay it`
}

/**
 * Claims several deliveries in one statement (see `claimDelivery`) and returns, with each, the scan
 * its message is built from: one round trip for a whole group of jobs. Ids that are not claimable
 * (final, buffered, gone) are missing from the result; one that became `dead` by stalling is in it
 * with that status and no scan.
 */
export async function claimDeliveries(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, ClaimedDelivery>> {
  if (ids.length === 0) return new Map()
  // In SET, column names read the row as it was: a row still `sending` is one whose worker
  // stopped mid-send (killed, out of memory) without recording anything or handing it back. At
  // the STALL_LIMIT-th such claim the delivery is dead instead of sent once more, with the
  // aggregation batch's held deliveries, so a delivery that kills its worker does not loop.
  const { rows } = await sql<ClaimRow>`
    with claimed as (
      update deliveries set
        stalls = stalls + (status = 'sending')::int,
        status = case when status = 'sending' and stalls + 1 >= ${STALL_LIMIT} then 'dead' else 'sending' end,
        last_error = case when status = 'sending' and stalls + 1 >= ${STALL_LIMIT} then ${stalledReason(STALL_LIMIT)} else last_error end,
        attempts = attempts + (case when status = 'sending' and stalls + 1 >= ${STALL_LIMIT} then 0 else 1 end),
        updated_at = now()
      where id = any(${[...ids]}::uuid[]) and status in ('pending', 'sending')
      returning *),
    held as (
      update deliveries set status = 'dead', last_error = ${stalledReason(STALL_LIMIT)}, updated_at = now()
      where batch_id in (select id from claimed where status = 'dead')
      returning 1)
    select c.*, s.source, s.outcome, s.raw_body, s.body, s.summary, s.diff, s.received_at, h.workloads
    from claimed c
    left join scans s on s.id = c.scan_id and c.status = 'sending'
    left join scan_history h on h.registry = s.registry and h.image = s.image and h.digest = s.digest`.execute(db)
  return new Map(
    rows.map((row) => {
      const scan: ScanForDelivery | undefined =
        row.scan_id !== null && (row.body !== null || row.raw_body !== null)
          ? toScanForDelivery({ ...row, id: row.scan_id, source: row.source!, outcome: row.outcome!, received_at: row.received_at! })
          : undefined
      return [row.id, { delivery: toView(row), scan }]
    }),
  )
}

/** Records several successful sends in one statement; a batch's members are sent with it. */
export async function markSentMany(
  db: Kysely<Database>,
  sent: readonly { readonly id: string; readonly externalId: string | undefined }[],
): Promise<void> {
  if (sent.length === 0) return
  await sql`update deliveries d set status = 'sent', external_id = v.external_id, last_error = null, sent_at = now(), updated_at = now()
    from unnest(${sent.map((s) => s.id)}::uuid[], ${sent.map((s) => s.externalId ?? null)}::text[]) as v(id, external_id)
    where d.id = v.id or d.batch_id = v.id`.execute(db)
}

/**
 * Clears the enqueued stamp ingest sets at commit time when the enqueue then failed, so the relay
 * queues these deliveries within seconds instead of after its long recheck.
 */
export async function clearEnqueued(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('deliveries').set({ enqueued_at: null }).where('id', 'in', ids).where('status', '=', 'pending').execute()
}
