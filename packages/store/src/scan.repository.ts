import { sql, type Kysely, type Transaction } from 'kysely'
import {
  decideRescan,
  packFindings,
  unpackFindings,
  type HistoryCandidates,
  type RescanDecision,
  type Scan,
  type ScanDiff,
  type StoredFinding,
  type StoredScan,
} from '@postee/shared'
import type { AggregationSettings } from '@postee/shared'
import { holdForAggregation, type AggregationTrigger } from './aggregation.repository.js'
import type { Database, DeliveryStatus } from './database.js'

/** A delivery the policies planned for a scan, before it has a row. */
export interface PlannedDelivery {
  readonly id: string
  readonly output: string
  readonly kind: string
  readonly status: Extract<DeliveryStatus, 'pending' | 'buffered'>
  /** For a `buffered` delivery: the output's aggregation keys. */
  readonly aggregation?: AggregationSettings
}

/** What ingest hands over to be stored. */
export interface ScanToRecord {
  readonly id: string
  readonly scan: Scan
  readonly rawBody: string
  readonly fingerprint: string
}

/** The stored result: the rescan decision and the delivery rows committed with it. */
export interface RecordedScan {
  readonly decision: RescanDecision
  readonly deliveries: readonly PlannedDelivery[]
  /** Flushes to schedule for the outputs that got held deliveries. */
  readonly aggregation: readonly AggregationTrigger[]
}

interface HistoryRow {
  role: 'same' | 'previous' | 'latest'
  digest: string
  fingerprint: string
  findings: string
  latest_scan_id: string
}

/**
 * Stores a scan, its rescan decision and its planned deliveries in one transaction. Scans of one
 * (registry, image) are serialised by an advisory lock, so two replicas receiving the same scan at
 * once produce one `new` and one `unchanged`, never two `new`.
 */
export async function recordScan(
  db: Kysely<Database>,
  input: ScanToRecord,
  plan: (decision: RescanDecision) => readonly PlannedDelivery[],
): Promise<RecordedScan> {
  return db.transaction().execute(async (trx) => {
    const { scan } = input
    await sql`select pg_advisory_xact_lock(hashtextextended(${scan.registry} || chr(31) || ${scan.image}, 0))`.execute(trx)
    const candidates = await loadCandidates(trx, scan)
    const decision = decideRescan(scan, input.fingerprint, candidates)
    const deliveries = plan(decision)
    await insertScanRow(trx, input, decision)
    await upsertHistory(trx, input, decision)
    if (deliveries.length > 0) {
      await trx
        .insertInto('deliveries')
        .values(deliveries.map((d) => ({ id: d.id, scan_id: input.id, output: d.output, kind: d.kind, status: d.status })))
        .execute()
    }
    const held = deliveries.flatMap((d) => (d.status === 'buffered' && d.aggregation ? [{ output: d.output, aggregation: d.aggregation }] : []))
    const aggregation = held.length > 0 ? await holdForAggregation(trx, held) : []
    return { decision, deliveries, aggregation }
  })
}

async function loadCandidates(trx: Transaction<Database>, scan: Scan): Promise<HistoryCandidates> {
  const { registry, image, digest, previousDigest } = scan
  const { rows } = await sql<HistoryRow>`
    (select 'same' as role, digest, fingerprint, findings, latest_scan_id from scan_history
      where registry = ${registry} and image = ${image} and digest = ${digest})
    union all
    (select 'previous', digest, fingerprint, findings, latest_scan_id from scan_history
      where registry = ${registry} and image = ${image} and digest = ${previousDigest} and digest <> ${digest})
    union all
    (select 'latest', digest, fingerprint, findings, latest_scan_id from scan_history
      where registry = ${registry} and image = ${image} and digest <> ${digest}
      order by last_seen desc, id desc limit 1)`.execute(trx)
  const byRole = (role: HistoryRow['role']): StoredScan | undefined => {
    const row = rows.find((r) => r.role === role)
    return row
      ? {
          scanId: row.latest_scan_id,
          digest: row.digest,
          fingerprint: row.fingerprint,
          findings: () => unpackFindings(JSON.parse(row.findings) as StoredFinding[]),
        }
      : undefined
  }
  return { sameIdentity: byRole('same'), previousDigest: byRole('previous'), latestOtherDigest: byRole('latest') }
}

async function insertScanRow(trx: Transaction<Database>, input: ScanToRecord, decision: RescanDecision): Promise<void> {
  const { scan } = input
  await trx
    .insertInto('scans')
    .values({
      id: input.id,
      source: scan.source,
      registry: scan.registry,
      image: scan.image,
      digest: scan.digest,
      outcome: decision.outcome,
      base_digest: decision.base?.digest ?? null,
      base_scan_id: decision.base?.scanId ?? null,
      diff: decision.diff ? JSON.stringify(storedDiff(decision.diff)) : null,
      raw_body: input.rawBody,
      size_bytes: Buffer.byteLength(input.rawBody),
    })
    .execute()
}

async function upsertHistory(trx: Transaction<Database>, input: ScanToRecord, decision: RescanDecision): Promise<void> {
  const { scan } = input
  const workloads = JSON.stringify(scan.workloads)
  if (decision.outcome === 'unchanged') {
    // Unchanged: the stored record stays as it was, apart from when it was last seen and by whom.
    await sql`update scan_history set last_seen = now(),
        workloads = (select coalesce(jsonb_agg(distinct w), '[]'::jsonb) from jsonb_array_elements(workloads || ${workloads}::jsonb) w)
      where registry = ${scan.registry} and image = ${scan.image} and digest = ${scan.digest}`.execute(trx)
    return
  }
  const findings = JSON.stringify(packFindings(scan.findings))
  const row = {
    registry: scan.registry,
    image: scan.image,
    digest: scan.digest,
    fingerprint: input.fingerprint,
    findings,
    disallowed: scan.compliance?.disallowed ?? false,
    malware_count: scan.malware.count,
    sensitive_count: scan.sensitiveData.count,
    latest_scan_id: input.id,
    workloads,
    size_bytes: Buffer.byteLength(findings),
  }
  await trx
    .insertInto('scan_history')
    .values(row)
    .onConflict((oc) =>
      oc.constraint('scan_history_identity').doUpdateSet({
        fingerprint: row.fingerprint,
        findings: row.findings,
        disallowed: row.disallowed,
        malware_count: row.malware_count,
        sensitive_count: row.sensitive_count,
        latest_scan_id: row.latest_scan_id,
        size_bytes: row.size_bytes,
        last_seen: sql`now()`,
        workloads: sql`(select coalesce(jsonb_agg(distinct w), '[]'::jsonb) from jsonb_array_elements(scan_history.workloads || excluded.workloads) w)`,
      }),
    )
    .execute()
}

/** The diff as stored in `scans.diff` and shown by the API (counts) and outputs (findings). */
export interface StoredDiff {
  readonly added: number
  readonly fixed: number
  readonly bySeverity: Record<string, { added: number; fixed: number }>
  readonly addedFindings: StoredFinding[]
  readonly fixedFindings: StoredFinding[]
}

function storedDiff(diff: ScanDiff): StoredDiff {
  const bySeverity: StoredDiff['bySeverity'] = {}
  for (const level of Object.keys(diff.addedBySeverity) as (keyof ScanDiff['addedBySeverity'])[]) {
    bySeverity[level] = { added: diff.addedBySeverity[level], fixed: diff.fixedBySeverity[level] }
  }
  return {
    added: diff.added.length,
    fixed: diff.fixed.length,
    bySeverity,
    addedFindings: packFindings(diff.added),
    fixedFindings: packFindings(diff.fixed),
  }
}
