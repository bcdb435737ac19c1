import type { Kysely } from 'kysely'
import type { Workload } from '@postee/shared'
import { unpackBody } from './body.js'
import type { Database } from './database.js'
import type { StoredDiff } from './scan-writes.js'

/** A stored scan as `GET /api/scans/:id` shows it. */
export interface ScanView {
  readonly id: string
  readonly source: string
  readonly registry: string
  readonly image: string
  readonly digest: string
  readonly outcome: string
  readonly receivedAt: Date
  readonly base: { readonly digest: string; readonly scanId: string | null } | null
  readonly diff: { readonly added: number; readonly fixed: number; readonly bySeverity: StoredDiff['bySeverity'] } | null
  readonly workloads: unknown
}

/** Reads one scan record with the workloads its identity has been reported by. */
export async function getScanView(db: Kysely<Database>, id: string): Promise<ScanView | undefined> {
  const row = await db
    .selectFrom('scans as s')
    .leftJoin('scan_history as h', (join) =>
      join.onRef('h.registry', '=', 's.registry').onRef('h.image', '=', 's.image').onRef('h.digest', '=', 's.digest'),
    )
    .select(['s.id', 's.source', 's.registry', 's.image', 's.digest', 's.outcome', 's.received_at', 's.base_digest', 's.base_scan_id', 's.diff', 'h.workloads'])
    .where('s.id', '=', id)
    .executeTakeFirst()
  if (!row) return undefined
  const diff = row.diff as StoredDiff | null
  return {
    id: row.id,
    source: row.source,
    registry: row.registry,
    image: row.image,
    digest: row.digest,
    outcome: row.outcome,
    receivedAt: row.received_at,
    base: row.base_digest === null ? null : { digest: row.base_digest, scanId: row.base_scan_id },
    diff: diff ? { added: diff.added, fixed: diff.fixed, bySeverity: diff.bySeverity } : null,
    workloads: row.workloads ?? [],
  }
}

/** What the dispatcher needs of a scan to render and send it. */
export interface ScanForDelivery {
  readonly id: string
  readonly source: string
  readonly outcome: 'new' | 'changed' | 'unchanged'
  readonly rawBody: string
  readonly diff: StoredDiff | null
  readonly receivedAt: Date
  /** Every workload known to have reported this image so far (Trivy Operator), for the message. */
  readonly knownWorkloads: readonly Workload[]
}

/** Reads the scans of some deliveries, for the dispatcher. */
export async function getScansForDelivery(db: Kysely<Database>, ids: readonly string[]): Promise<ScanForDelivery[]> {
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('scans as s')
    .leftJoin('scan_history as h', (join) =>
      join.onRef('h.registry', '=', 's.registry').onRef('h.image', '=', 's.image').onRef('h.digest', '=', 's.digest'),
    )
    .select(['s.id', 's.source', 's.outcome', 's.raw_body', 's.body', 's.diff', 's.received_at', 'h.workloads'])
    .where('s.id', 'in', ids)
    .execute()
  return rows.map((row) => ({
    id: row.id,
    source: row.source,
    outcome: row.outcome,
    rawBody: unpackBody(row.body, row.raw_body),
    diff: row.diff as StoredDiff | null,
    receivedAt: row.received_at,
    knownWorkloads: (row.workloads ?? []) as Workload[],
  }))
}
