import { sql, type Kysely } from 'kysely'
import type { Database } from './database.js'

/** What retention removes: records last seen over `deleteOldDataDays` ago, then the oldest over `maxBytes`. */
export interface RetentionPolicy {
  readonly deleteOldDataDays: number | undefined
  readonly maxBytes: number | undefined
}

/** How many rows one retention pass removed. */
export interface RetentionReport {
  readonly skipped: boolean
  readonly historyDeleted: number
  readonly scansDeleted: number
}

// Any constant works; it only has to differ from the other advisory locks we take.
const RETENTION_LOCK = 0x706f7374

/**
 * One retention pass of `Max_DB_Size` / `Delete_Old_Data` (docs/operations.md, retention). Only one
 * replica runs it at a time (a try-lock; the others skip). A scan record is never removed while one
 * of its deliveries is still in flight, so retention cannot lose an acknowledged scan. The size
 * counted is the stored bodies and finding sets (`size_bytes`), the part that grows: Postgres
 * reuses the space of deleted rows rather than shrinking its files, so file sizes would never fall
 * under the limit.
 */
export async function applyRetention(db: Kysely<Database>, policy: RetentionPolicy): Promise<RetentionReport> {
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${RETENTION_LOCK}) as locked`.execute(conn)
    if (!rows[0]?.locked) return { skipped: true, historyDeleted: 0, scansDeleted: 0 }
    try {
      let historyDeleted = 0
      let scansDeleted = 0
      if (policy.deleteOldDataDays !== undefined) {
        const cutoff = sql<Date>`now() - make_interval(days => ${policy.deleteOldDataDays})`
        historyDeleted += Number((await conn.deleteFrom('scan_history').where('last_seen', '<', cutoff).executeTakeFirst()).numDeletedRows)
        scansDeleted += await deleteSettledScans(conn, sql`received_at < ${cutoff}`)
      }
      if (policy.maxBytes !== undefined) {
        historyDeleted += await trimHistoryToSize(conn, policy.maxBytes / 2)
        scansDeleted += await trimScansToSize(conn, policy.maxBytes / 2)
      }
      return { skipped: false, historyDeleted, scansDeleted }
    } finally {
      await sql`select pg_advisory_unlock(${RETENTION_LOCK})`.execute(conn)
    }
  })
}

// Half the budget each: the history decides what counts as a rescan, the scan records serve the API.
async function trimHistoryToSize(db: Kysely<Database>, maxBytes: number): Promise<number> {
  const result = await sql`delete from scan_history where id in (
      select id from (select id, sum(size_bytes) over (order by last_seen desc, id desc) as kept from scan_history) t
      where kept > ${Math.floor(maxBytes)})`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

async function trimScansToSize(db: Kysely<Database>, maxBytes: number): Promise<number> {
  return deleteSettledScans(
    db,
    sql`id in (select id from (select id, sum(size_bytes) over (order by received_at desc, id desc) as kept from scans) t
      where kept > ${Math.floor(maxBytes)})`,
  )
}

async function deleteSettledScans(db: Kysely<Database>, condition: ReturnType<typeof sql>): Promise<number> {
  const result = await sql`delete from scans s where ${condition}
      and not exists (select 1 from deliveries d where d.scan_id = s.id and d.status in ('pending', 'buffered', 'sending'))`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}
