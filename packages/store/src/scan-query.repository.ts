import type { Kysely } from 'kysely'
import type { Readable } from 'node:stream'
import type { Scan, Workload } from '@postee/shared'
import { bodyStream, unpackBody, unpackSummary } from './body.js'
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
    .select([
      's.id',
      's.source',
      's.registry',
      's.image',
      's.digest',
      's.outcome',
      's.received_at',
      's.base_digest',
      's.base_scan_id',
      's.diff',
      'h.workloads',
    ])
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
  /** The body as text, decompressed when first read: a webhook streams `openBody()` instead. */
  readonly rawBody: string
  /** The body as a byte stream, decompressed as it is read. */
  openBody(): Readable
  /** The bounded scan model ingest stored (summarizeScan); undefined for rows stored before it. */
  readonly summary: Scan | undefined
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
    .select(['s.id', 's.source', 's.outcome', 's.raw_body', 's.body', 's.summary', 's.diff', 's.received_at', 'h.workloads'])
    .where('s.id', 'in', ids)
    .execute()
  return rows.map(toScanForDelivery)
}

/** The columns a ScanForDelivery is built from. */
export interface ScanForDeliveryRow {
  readonly id: string
  readonly source: string
  readonly outcome: 'new' | 'changed' | 'unchanged'
  readonly raw_body: string | null
  readonly body: Buffer | null
  readonly summary: Buffer | null
  readonly diff: unknown
  readonly received_at: Date
  readonly workloads: unknown
}

/**
 * A ScanForDelivery that keeps the body compressed until it is read: a dispatcher holding many
 * claimed deliveries of large scans holds kilobytes each, not the bodies.
 */
export function toScanForDelivery(row: ScanForDeliveryRow): ScanForDelivery {
  let summary: Scan | undefined | null = null
  return {
    id: row.id,
    source: row.source,
    outcome: row.outcome,
    get rawBody() {
      return unpackBody(row.body, row.raw_body)
    },
    openBody: () => bodyStream(row.body, row.raw_body),
    get summary() {
      if (summary === null) summary = row.summary ? unpackSummary(row.summary) : undefined
      return summary
    },
    diff: row.diff as StoredDiff | null,
    receivedAt: row.received_at,
    knownWorkloads: (row.workloads ?? []) as Workload[],
  }
}
