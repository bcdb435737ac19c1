import { sql, type Kysely } from 'kysely'
import { batchSize, flushesByCount, isDue, isFull, windowEnd, windowKey, type AggregationSettings } from '@postee/shared'
import type { Database } from './database.js'

/** What ingest must schedule after committing held deliveries of one output. */
export interface AggregationTrigger {
  readonly output: string
  /** The window's audience ('' for an output with fixed recipients). */
  readonly audience: string
  /** Set when this transaction opened the output's window: schedule its flush at `flushAt`. */
  readonly opened: { readonly openedAt: Date; readonly flushAt: Date | null } | undefined
  /** Aggregate-Issues-Number is reached: flush now. */
  readonly full: boolean
}

/** A held delivery of an aggregated output, as ingest plans it. */
export interface HeldDelivery {
  readonly output: string
  readonly aggregation: AggregationSettings
  /** Who receives it when that depends on the scan (audienceKey); '' or absent when fixed. */
  readonly audience?: string
}

// Ingest holds it shared while it adds held deliveries; a flush holds it exclusively, so a flush
// never misses a delivery committed before it, and never strands one committed after it.
function outputLock(output: string) {
  return sql`hashtextextended(${`aggregate\u001f${output}`}, 0)`
}

/**
 * Inside ingest's transaction, after the held deliveries are inserted: opens the window of each
 * (output, audience) that has none (the first held delivery opens it) and says whether a count
 * is reached. Each audience has its own window and count, so a batch never mixes audiences.
 */
export async function holdForAggregation(trx: Kysely<Database>, held: readonly HeldDelivery[]): Promise<AggregationTrigger[]> {
  const byWindow = new Map(
    held.map((h) => [windowKey(h.output, h.audience ?? ''), { output: h.output, audience: h.audience ?? '', aggregation: h.aggregation }]),
  )
  const triggers: AggregationTrigger[] = []
  const locked = new Set<string>()
  for (const key of [...byWindow.keys()].sort()) {
    const { output, audience, aggregation } = byWindow.get(key)!
    const { timeoutMs } = aggregation
    if (!locked.has(output)) await sql`select pg_advisory_xact_lock_shared(${outputLock(output)})`.execute(trx)
    locked.add(output)
    // windowEnd (@postee/shared) in SQL: the window opens at the transaction's now(), the clock
    // the flush compares against.
    const flushAt = timeoutMs === undefined ? sql`null` : sql`now() + make_interval(secs => ${timeoutMs / 1000})`
    const opened = await sql<{ opened_at: Date; flush_at: Date | null }>`
      insert into aggregation_windows (output, audience, opened_at, flush_at) values (${output}, ${audience}, now(), ${flushAt})
      on conflict (output, audience) do nothing returning opened_at, flush_at`.execute(trx)
    const row = opened.rows[0]
    triggers.push({
      output,
      audience,
      opened: row ? { openedAt: row.opened_at, flushAt: row.flush_at } : undefined,
      full: flushesByCount(aggregation) && isFull(await countHeld(trx, output, audience), aggregation),
    })
  }
  return triggers
}

async function countHeld(db: Kysely<Database>, output: string, audience: string): Promise<number> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('held'))
    .where('output', '=', output)
    .where('audience', '=', audience)
    .where('status', '=', 'buffered')
    .where('batch_id', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.held)
}

/** The result of one flush attempt of an output. */
export interface FlushOutcome {
  /** The batch delivery created, now pending: enqueue it. */
  readonly batch: { readonly id: string; readonly size: number } | undefined
  /** The window of what is still held after this flush: schedule it. */
  readonly next: { readonly openedAt: Date; readonly flushAt: Date | null; readonly full: boolean } | undefined
  /** Nothing was due yet: look again at this time (a clock-skewed early job). */
  readonly notBefore: Date | undefined
}

/**
 * Flushes the held deliveries of an output's audience into one batch delivery when its window
 * has ended or its count is reached, in arrival order (at most Aggregate-Issues-Number of them).
 * Serialised per output by an exclusive lock, so no batch is made twice and no delivery lands in
 * two batches. What stays held opens the next window, timed from its own first delivery.
 */
export async function flushOutput(
  db: Kysely<Database>,
  output: { readonly name: string; readonly kind: string; readonly aggregation: AggregationSettings },
  batchId: string,
  audience = '',
): Promise<FlushOutcome> {
  const { aggregation } = output
  const thisWindow = { output: output.name, audience }
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${outputLock(output.name)})`.execute(trx)
    const { rows } = await sql<{ now: Date }>`select now() as now`.execute(trx)
    const now = rows[0]!.now
    const held = await trx
      .selectFrom('deliveries')
      .select(['id', 'created_at'])
      .where('output', '=', output.name)
      .where('audience', '=', audience)
      .where('status', '=', 'buffered')
      .where('batch_id', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    if (held.length === 0) {
      await trx.deleteFrom('aggregation_windows').where('output', '=', output.name).where('audience', '=', audience).execute()
      return { batch: undefined, next: undefined, notBefore: undefined }
    }
    const window = await trx
      .selectFrom('aggregation_windows')
      .selectAll()
      .where('output', '=', output.name)
      .where('audience', '=', audience)
      .executeTakeFirst()
    // A window lost to a crash between commits is rebuilt from the first held delivery.
    const flushAt = window ? window.flush_at : windowEnd(held[0]!.created_at, aggregation)
    // An output whose aggregation keys were removed by a reload flushes what it still holds now.
    const due = isDue(flushAt, now, aggregation)
    const full = isFull(held.length, aggregation)
    if (!due && !full) {
      if (!window)
        await trx
          .insertInto('aggregation_windows')
          .values({ ...thisWindow, opened_at: held[0]!.created_at, flush_at: flushAt })
          .execute()
      return { batch: undefined, next: undefined, notBefore: flushAt ?? undefined }
    }
    const taken = held.slice(0, batchSize(held.length, aggregation))
    await trx
      .insertInto('deliveries')
      .values({ id: batchId, scan_id: null, output: output.name, audience, kind: output.kind, status: 'pending' })
      .execute()
    await trx
      .updateTable('deliveries')
      .set({ batch_id: batchId, updated_at: sql`now()` })
      .where(
        'id',
        'in',
        taken.map((d) => d.id),
      )
      .execute()
    const remaining = held.slice(taken.length)
    await trx.deleteFrom('aggregation_windows').where('output', '=', output.name).where('audience', '=', audience).execute()
    if (remaining.length === 0) return { batch: { id: batchId, size: taken.length }, next: undefined, notBefore: undefined }
    const openedAt = remaining[0]!.created_at
    const nextFlushAt = windowEnd(openedAt, aggregation)
    await trx
      .insertInto('aggregation_windows')
      .values({ ...thisWindow, opened_at: openedAt, flush_at: nextFlushAt })
      .execute()
    const nextFull = isFull(remaining.length, aggregation)
    return { batch: { id: batchId, size: taken.length }, next: { openedAt, flushAt: nextFlushAt, full: nextFull }, notBefore: undefined }
  })
}

/** An open window, for the relay: its flush must be scheduled. */
export interface OpenWindow {
  readonly output: string
  readonly audience: string
  readonly openedAt: Date
  readonly flushAt: Date | null
  readonly held: number
}

/**
 * Every (output, audience) with held deliveries, with its window (opened at the first held delivery when the
 * window row was lost), so the relay can make sure a flush is scheduled for each.
 */
export async function listOpenWindows(db: Kysely<Database>): Promise<OpenWindow[]> {
  const { rows } = await sql<{
    output: string
    audience: string
    opened_at: Date
    flush_at: Date | null
    has_window: boolean
    held: number
  }>`
    select d.output, d.audience, coalesce(w.opened_at, min(d.created_at)) as opened_at, w.flush_at, w.output is not null as has_window,
           count(*)::int as held
    from deliveries d left join aggregation_windows w on w.output = d.output and w.audience = d.audience
    where d.status = 'buffered' and d.batch_id is null
    group by d.output, d.audience, w.opened_at, w.flush_at, w.output`.execute(db)
  return rows.map((row) => ({
    output: row.output,
    audience: row.audience,
    openedAt: row.opened_at,
    flushAt: row.has_window ? row.flush_at : null,
    held: row.held,
  }))
}
