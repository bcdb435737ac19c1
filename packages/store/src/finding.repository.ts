import { sql, type Kysely, type RawBuilder } from 'kysely'
import { findingSet, type Finding } from '@postee/shared'
import type { Database, FindingState } from './database.js'

// The finding lifecycle (docs/http-api.md, findings): which findings of each image are open, since
// when, and how often they came back. Written by recordScans in the scan's own transaction, under
// its per-image advisory lock.

/** An image whose latest scan is new or changed: its finding set replaces the open findings. */
export interface ImageFindings {
  readonly registry: string
  readonly image: string
  readonly findings: readonly Finding[]
}

/** An image (registry, image as the scan names it). */
export interface ImageName {
  readonly registry: string
  readonly image: string
}

/**
 * Rows per upsert statement: a 10,000-row statement takes a few hundred ms, and its parameters (a
 * few MB of array text) are the only copy of the findings made.
 */
export const FINDING_CHUNK_ROWS = 10_000

/**
 * Brings the finding state of a batch's images up to date, inside the caller's transaction and
 * under its image locks. `synced`: every finding of the scan is `open` (a `fixed` one that is back
 * counts a reopening) and every other open finding of the image becomes `fixed`. `refreshed` (an
 * unchanged rescan): the open findings' last_seen moves, and nothing else is read or written.
 */
export async function syncFindings(
  trx: Kysely<Database>,
  synced: readonly ImageFindings[],
  refreshed: readonly ImageName[],
): Promise<void> {
  if (synced.length === 0 && refreshed.length === 0) return
  // Taken after the locks, not now() (the transaction's start): a transaction that began earlier
  // but got the lock later must still stamp later than the one it waited for, since "not seen in
  // this scan" is "last_seen before this stamp". As text, to keep Postgres' microseconds.
  const { rows } = await sql<{ at: string }>`select clock_timestamp()::text as at`.execute(trx)
  const at = rows[0]!.at
  await upsertOpen(trx, synced, at)
  // What the upserts did not reach is no longer in its image's scan.
  await updateInChunks(trx, synced, sql`state = 'fixed', fixed_at = ${at}::timestamptz`, sql`f.last_seen < ${at}::timestamptz`)
  await updateInChunks(trx, refreshed, sql`last_seen = ${at}::timestamptz`, sql`true`)
}

// The open rows of some images, FINDING_CHUNK_ROWS at a time in id order (the by-image index), so
// no statement outlasts the client query timeout however many findings an image has; an image of
// up to that many findings (and a batch of small ones) is one statement.
async function updateInChunks(trx: Kysely<Database>, images: readonly ImageName[], set: RawBuilder<unknown>, where: RawBuilder<unknown>) {
  if (images.length === 0) return
  const registries = images.map((i) => i.registry)
  const names = images.map((i) => i.image)
  let after = 0
  for (;;) {
    const { rows } = await sql<{ last: number | null; n: number }>`
      with chunk as (
        select f.id from findings f
        where (f.registry, f.image) in (select * from unnest(${registries}::text[], ${names}::text[]))
          and f.state = 'open' and f.id > ${after} and ${where}
        order by f.id limit ${FINDING_CHUNK_ROWS}),
      updated as (update findings f set ${set} from chunk where f.id = chunk.id returning f.id)
      select max(id) as last, count(*) as n from updated`.execute(trx)
    const { last, n } = rows[0]!
    if (last === null || n < FINDING_CHUNK_ROWS) return
    after = last
  }
}

// In chunks over every synced image, so a batch of many small scans is one statement and a scan of
// 85,000 findings is nine. The finding set (findingSet: unique keys, cached from the fingerprint)
// is what goes in: a key twice in one statement would be an error.
async function upsertOpen(trx: Kysely<Database>, synced: readonly ImageFindings[], at: string): Promise<void> {
  let chunk = emptyChunk()
  const flush = async () => {
    if (chunk.resource.length === 0) return
    const c = chunk
    chunk = emptyChunk()
    await sql`
      insert into findings as f (registry, image, finding_key, resource, resource_version, vulnerability, severity, fix_version, state, first_seen, last_seen)
      select u.registry, u.image,
        sha256(convert_to(length(u.resource) || ':' || u.resource || length(u.version) || ':' || u.version || length(u.vulnerability) || ':' || u.vulnerability, 'UTF8')),
        u.resource, u.version, u.vulnerability, u.severity, u.fix_version, 'open', ${at}::timestamptz, ${at}::timestamptz
      from unnest(${c.registry}::text[], ${c.image}::text[], ${c.resource}::text[], ${c.version}::text[], ${c.vulnerability}::text[],
        ${c.severity}::text[], ${c.fixVersion}::text[]) as u(registry, image, resource, version, vulnerability, severity, fix_version)
      on conflict on constraint findings_identity do update set
        last_seen = excluded.last_seen, severity = excluded.severity, fix_version = excluded.fix_version,
        state = 'open', fixed_at = null, times_reopened = f.times_reopened + (f.state = 'fixed')::int`.execute(trx)
  }
  for (const { registry, image, findings } of synced) {
    for (const finding of findingSet(findings)) {
      chunk.registry.push(registry)
      chunk.image.push(image)
      chunk.resource.push(finding.resource)
      chunk.version.push(finding.resourceVersion)
      chunk.vulnerability.push(finding.vulnerability)
      chunk.severity.push(finding.severity)
      chunk.fixVersion.push(finding.fixVersion)
      if (chunk.resource.length >= FINDING_CHUNK_ROWS) await flush()
    }
  }
  await flush()
}

function emptyChunk() {
  return {
    registry: [] as string[],
    image: [] as string[],
    resource: [] as string[],
    version: [] as string[],
    vulnerability: [] as string[],
    severity: [] as string[],
    fixVersion: [] as string[],
  }
}

/** Bounds of `limit` for `listFindings` (the API and the CLI check them). */
export const FINDING_LIST_LIMIT = { max: 1000, default: 100 } as const

/** Which findings to list; every filter is optional. */
export interface FindingFilter {
  readonly registry?: string
  readonly image?: string
  readonly state?: FindingState
  readonly vulnerability?: string
  readonly limit?: number
  /** The `next` of the previous page. */
  readonly cursor?: string
}

/** One finding of one image, as the API and the CLI show it. */
export interface FindingView {
  readonly registry: string
  readonly image: string
  readonly resource: string
  readonly resourceVersion: string
  readonly vulnerability: string
  readonly severity: string
  readonly fixVersion: string
  readonly state: FindingState
  readonly firstSeen: Date
  readonly lastSeen: Date
  readonly fixedAt: Date | null
  readonly timesReopened: number
}

/** A page of findings and, when there are more, the cursor of the next page. */
export interface FindingPage {
  readonly findings: FindingView[]
  readonly next?: string
}

/** True for a string `listFindings` accepts as a cursor. */
export function isFindingCursor(cursor: string): boolean {
  return /^\d{1,15}$/.test(cursor)
}

/** Lists findings in the order they were first recorded, a page at a time. */
export async function listFindings(db: Kysely<Database>, filter: FindingFilter): Promise<FindingPage> {
  const limit = Math.min(filter.limit ?? FINDING_LIST_LIMIT.default, FINDING_LIST_LIMIT.max)
  let query = db.selectFrom('findings').selectAll()
  if (filter.registry !== undefined) query = query.where('registry', '=', filter.registry)
  if (filter.image !== undefined) query = query.where('image', '=', filter.image)
  if (filter.state !== undefined) query = query.where('state', '=', filter.state)
  if (filter.vulnerability !== undefined) query = query.where('vulnerability', '=', filter.vulnerability)
  if (filter.cursor !== undefined) {
    if (!isFindingCursor(filter.cursor)) throw new Error(`the cursor ${JSON.stringify(filter.cursor)} is not one a findings page returned`)
    query = query.where('id', '>', Number(filter.cursor))
  }
  // One row more than asked tells whether there is a next page.
  const rows = await query
    .orderBy('id')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit).map((row): FindingView => ({
    registry: row.registry,
    image: row.image,
    resource: row.resource,
    resourceVersion: row.resource_version,
    vulnerability: row.vulnerability,
    severity: row.severity,
    fixVersion: row.fix_version,
    state: row.state,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    fixedAt: row.fixed_at,
    timesReopened: row.times_reopened,
  }))
  return rows.length > limit ? { findings: page, next: String(rows[limit - 1]!.id) } : { findings: page }
}
