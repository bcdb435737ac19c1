import { sql, type Kysely } from 'kysely'
import {
  packFindings,
  summarizeDiff,
  summarizeScan,
  type RescanDecision,
  type Scan,
  type ScanDiff,
  type StoredFinding,
  type Workload,
} from '@postee/shared'
import { packBody, packSummary } from './body.js'
import type { Database } from './database.js'
import { syncFindings } from './finding.repository.js'
import type { PlannedDelivery, ScanToRecord } from './scan.repository.js'

// The write half of recordScans: everything a batch stores, in one statement.

/** A scan's identity (registry, image, digest) as one string key. */
export function identityOf(scan: Scan): string {
  return `${scan.registry}\u001f${scan.image}\u001f${scan.digest}`
}

interface HistoryGroup {
  readonly scan: Scan
  latest: ScanToRecord | undefined
  readonly workloads: Workload[]
}

// Several scans of one identity in a batch make one history write (a statement may touch a row
// only once): the last new-or-changed one, with every reporter's workloads.
function historyGroups(inputs: readonly ScanToRecord[], decisions: readonly RescanDecision[]): HistoryGroup[] {
  const groups = new Map<string, HistoryGroup>()
  inputs.forEach((input, i) => {
    const identity = identityOf(input.scan)
    const group = groups.get(identity) ?? { scan: input.scan, latest: undefined, workloads: [] }
    if (decisions[i]!.outcome !== 'unchanged') group.latest = input
    group.workloads.push(...input.scan.workloads)
    groups.set(identity, group)
  })
  return [...groups.values()]
}

/**
 * Every write of a batch in one statement: the scan records, the history (unchanged: only when
 * last seen and by whom; new or changed: the finding set), and the delivery rows; then the
 * finding lifecycle (syncFindings). Deliveries
 * to queue are stamped enqueued now, since ingest queues them right after the commit; if that
 * fails it clears the stamp, and the relay covers a crash in between.
 */
export async function writeAll(
  db: Kysely<Database>,
  inputs: readonly ScanToRecord[],
  decisions: readonly RescanDecision[],
  planned: readonly (readonly PlannedDelivery[])[],
): Promise<void> {
  // The summary is what a dispatcher renders from; the body only goes out whole (webhook).
  const scans = inputs.map(({ id, scan, rawBody }, i) => ({
    id,
    scan,
    decision: decisions[i]!,
    body: packBody(rawBody),
    summary: packSummary(summarizeScan(scan)),
  }))
  const groups = historyGroups(inputs, decisions)
  const seen = groups.filter((g) => g.latest === undefined)
  const stored = groups.flatMap((g) => (g.latest ? [{ ...historyRow(g.latest), workloads: JSON.stringify(g.workloads) }] : []))
  const deliveries = planned.flatMap((list, i) => list.map((d) => ({ ...d, scanId: inputs[i]!.id })))
  const col = <T, V>(rows: readonly T[], pick: (row: T) => V) => rows.map(pick)
  await sql`
    with new_scans as (
      insert into scans (id, source, registry, image, digest, outcome, base_digest, base_scan_id, diff, body, summary, size_bytes)
      select * from unnest(${col(scans, (s) => s.id)}::uuid[], ${col(scans, (s) => s.scan.source)}::text[],
        ${col(scans, (s) => s.scan.registry)}::text[], ${col(scans, (s) => s.scan.image)}::text[], ${col(scans, (s) => s.scan.digest)}::text[],
        ${col(scans, (s) => s.decision.outcome)}::text[], ${col(scans, (s) => s.decision.base?.digest ?? null)}::text[],
        ${col(scans, (s) => s.decision.base?.scanId ?? null)}::uuid[],
        ${col(scans, (s) => (s.decision.diff ? JSON.stringify(storedDiff(s.decision.diff)) : null))}::jsonb[],
        ${col(scans, (s) => s.body)}::bytea[], ${col(scans, (s) => s.summary)}::bytea[], ${col(scans, (s) => s.body.length + s.summary.length)}::int[])
      returning 1),
    seen as (
      update scan_history h set last_seen = now(),
        workloads = (select coalesce(jsonb_agg(distinct w), '[]'::jsonb) from jsonb_array_elements(h.workloads || u.workloads) w)
      from unnest(${col(seen, (g) => g.scan.registry)}::text[], ${col(seen, (g) => g.scan.image)}::text[],
        ${col(seen, (g) => g.scan.digest)}::text[], ${col(seen, (g) => JSON.stringify(g.workloads))}::jsonb[]) as u(registry, image, digest, workloads)
      where h.registry = u.registry and h.image = u.image and h.digest = u.digest
      returning 1),
    stored as (
      insert into scan_history (registry, image, digest, fingerprint, findings, disallowed, malware_count, sensitive_count, latest_scan_id, workloads, size_bytes)
      select * from unnest(${col(stored, (r) => r.registry)}::text[], ${col(stored, (r) => r.image)}::text[], ${col(stored, (r) => r.digest)}::text[],
        ${col(stored, (r) => r.fingerprint)}::text[], ${col(stored, (r) => r.findings)}::text[], ${col(stored, (r) => r.disallowed)}::boolean[],
        ${col(stored, (r) => r.malware_count)}::int[], ${col(stored, (r) => r.sensitive_count)}::int[], ${col(stored, (r) => r.latest_scan_id)}::uuid[],
        ${col(stored, (r) => r.workloads)}::jsonb[], ${col(stored, (r) => r.size_bytes)}::int[])
      on conflict on constraint scan_history_identity do update set
        fingerprint = excluded.fingerprint, findings = excluded.findings, disallowed = excluded.disallowed,
        malware_count = excluded.malware_count, sensitive_count = excluded.sensitive_count,
        latest_scan_id = excluded.latest_scan_id, size_bytes = excluded.size_bytes, last_seen = now(),
        workloads = (select coalesce(jsonb_agg(distinct w), '[]'::jsonb) from jsonb_array_elements(scan_history.workloads || excluded.workloads) w)
      returning 1),
    planned as (
      insert into deliveries (id, scan_id, output, audience, kind, status, enqueued_at)
      select d.id, d.scan_id, d.output, d.audience, d.kind, d.status, case when d.status = 'pending' then now() end
      from unnest(${col(deliveries, (d) => d.id)}::uuid[], ${col(deliveries, (d) => d.scanId)}::uuid[], ${col(deliveries, (d) => d.output)}::text[],
        ${col(deliveries, (d) => d.audience ?? '')}::text[], ${col(deliveries, (d) => d.kind)}::text[], ${col(deliveries, (d) => d.status)}::text[])
        as d(id, scan_id, output, audience, kind, status)
      returning 1)
    select (select count(*) from new_scans) as scans, (select count(*) from seen) as seen,
      (select count(*) from stored) as stored, (select count(*) from planned) as deliveries`.execute(db)
  // The finding lifecycle: a new or changed scan sets its image's open findings, an unchanged one
  // only says they are still there.
  await syncFindings(
    db,
    groups.flatMap((g) => (g.latest ? [{ registry: g.scan.registry, image: g.scan.image, findings: g.latest.scan.findings }] : [])),
    seen.map((g) => ({ registry: g.scan.registry, image: g.scan.image })),
  )
}

function historyRow({ id, scan, fingerprint }: ScanToRecord) {
  const findings = JSON.stringify(packFindings(scan.findings))
  return {
    registry: scan.registry,
    image: scan.image,
    digest: scan.digest,
    fingerprint,
    findings,
    disallowed: scan.compliance?.disallowed ?? false,
    malware_count: scan.malware.count,
    sensitive_count: scan.sensitiveData.count,
    latest_scan_id: id,
    workloads: JSON.stringify(scan.workloads),
    size_bytes: Buffer.byteLength(findings),
  }
}

/**
 * The diff as stored in `scans.diff` and shown by the API (counts) and outputs (findings): the
 * counts are whole, the finding lists bounded (summarizeDiff: the most severe SUMMARY_ROWS).
 */
export interface StoredDiff {
  /** Every new finding, also those left out of addedFindings. */
  readonly added: number
  readonly fixed: number
  readonly bySeverity: Record<string, { added: number; fixed: number }>
  readonly addedFindings: StoredFinding[]
  readonly fixedFindings: StoredFinding[]
}

function storedDiff(diff: ScanDiff): StoredDiff {
  const bounded = summarizeDiff(diff)
  const bySeverity: StoredDiff['bySeverity'] = {}
  for (const level of Object.keys(diff.addedBySeverity) as (keyof ScanDiff['addedBySeverity'])[]) {
    bySeverity[level] = { added: diff.addedBySeverity[level], fixed: diff.fixedBySeverity[level] }
  }
  return {
    added: diff.added.length + (diff.omittedAdded ?? 0),
    fixed: diff.fixed.length + (diff.omittedFixed ?? 0),
    bySeverity,
    addedFindings: packFindings(bounded.added),
    fixedFindings: packFindings(bounded.fixed),
  }
}
