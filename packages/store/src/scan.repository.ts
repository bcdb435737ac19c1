import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import {
  chooseBase,
  diffFindings,
  packFindings,
  unpackFindings,
  type Finding,
  type RescanDecision,
  type Scan,
  type ScanDiff,
  type StoredFinding,
  type Workload,
} from '@postee/shared'
import type { AggregationSettings } from '@postee/shared'
import { holdForAggregation, type AggregationTrigger } from './aggregation.repository.js'
import { packBody } from './body.js'
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

interface CandidateRow {
  n: number
  role: 'same' | 'previous' | 'latest'
  id: number
  digest: string
  fingerprint: string
  latest_scan_id: string
}

/**
 * A stored scan before its finding set is read: most decisions never need it. A scan written
 * earlier in the same batch carries its findings in memory (and no history id yet).
 */
interface Candidate {
  readonly historyId: number
  readonly scanId: string
  readonly digest: string
  readonly fingerprint: string
  readonly findings?: readonly Finding[]
}

type Candidates = { sameIdentity: Candidate | undefined; previousDigest: Candidate | undefined; latestOtherDigest: Candidate | undefined }

/**
 * Stores a scan, its rescan decision and its planned deliveries in one transaction (see
 * `recordScans`).
 */
export async function recordScan(
  db: Kysely<Database>,
  input: ScanToRecord,
  plan: (decision: RescanDecision) => readonly PlannedDelivery[],
): Promise<RecordedScan> {
  const [recorded] = await recordScans(db, [input], (_input, decision) => plan(decision))
  return recorded!
}

/**
 * Stores several scans, their rescan decisions and their planned deliveries in one transaction
 * and a handful of set-based statements, whatever the number of scans (ingest's group commit).
 * Scans of one (registry, image) are serialised by an advisory lock taken in a fixed order, so
 * two replicas receiving the same scan at once produce one `new` and one `unchanged`, never two
 * `new`, and never deadlock. Scans of one image with different digests must go in different
 * batches (the caller's grouping); scans of one identity may share a batch.
 */
export async function recordScans(
  db: Kysely<Database>,
  inputs: readonly ScanToRecord[],
  plan: (input: ScanToRecord, decision: RescanDecision) => readonly PlannedDelivery[],
): Promise<RecordedScan[]> {
  if (inputs.length === 0) return []
  // Round trips, not bytes, are what a scan costs here: BEGIN and the locks go in one, the
  // candidates in one, every write in one statement, then COMMIT.
  return db.connection().execute(async (conn) => {
    await sql.raw(`begin; ${lockStatement(inputs.map((input) => input.scan))}`).execute(conn)
    try {
      const decisions = await decideAll(conn, inputs)
      const planned = inputs.map((input, i) => plan(input, decisions[i]!))
      await writeAll(conn, inputs, decisions, planned)
      const held = planned.flat().flatMap((d) => (d.status === 'buffered' && d.aggregation ? [{ output: d.output, aggregation: d.aggregation }] : []))
      const triggers = held.length > 0 ? await holdForAggregation(conn, held) : []
      await sql`commit`.execute(conn)
      return inputs.map((_input, i) => {
        const outputs = new Set(planned[i]!.map((d) => d.output))
        return { decision: decisions[i]!, deliveries: planned[i]!, aggregation: triggers.filter((t) => outputs.has(t.output)) }
      })
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined)
      throw error
    }
  })
}

/**
 * The advisory lock key of an image: 64 bits of SHA-256 of (registry, image), as a signed bigint
 * literal (only digits and a sign, so it is safe to inline in the lock statement).
 */
export function imageLockKey(registry: string, image: string): bigint {
  return createHash('sha256').update(registry).update('\u001f').update(image).digest().readBigInt64BE(0)
}

// Taken in ascending key order: two transactions locking overlapping sets cannot deadlock.
function lockStatement(scans: readonly Scan[]): string {
  const keys = [...new Set(scans.map((scan) => imageLockKey(scan.registry, scan.image)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return keys.map((key) => `select pg_advisory_xact_lock(${key.toString()});`).join(' ')
}

function identityOf(scan: Scan): string {
  return `${scan.registry}\u001f${scan.image}\u001f${scan.digest}`
}

// A batch may hold several scans of one identity (a rescan repeated): each is decided against
// what the earlier ones left, as if they had been committed one after the other.
async function decideAll(trx: Kysely<Database>, inputs: readonly ScanToRecord[]): Promise<RescanDecision[]> {
  const firsts = new Map<string, Scan>()
  for (const input of inputs) if (!firsts.has(identityOf(input.scan))) firsts.set(identityOf(input.scan), input.scan)
  const loaded = await loadCandidates(trx, [...firsts.values()])
  const stored = new Map([...firsts.keys()].map((identity, j) => [identity, loaded[j]!]))
  const written = new Map<string, Candidate>()
  const choices = inputs.map((input) => {
    const identity = identityOf(input.scan)
    const fromTable = stored.get(identity)!
    const choice = chooseBase(input.scan, input.fingerprint, { ...fromTable, sameIdentity: written.get(identity) ?? fromTable.sameIdentity })
    if (choice.outcome !== 'unchanged') {
      written.set(identity, { historyId: -1, scanId: input.id, digest: input.scan.digest, fingerprint: input.fingerprint, findings: input.scan.findings })
    }
    return choice
  })
  const fromHistory = await loadFindings(trx, choices.flatMap((choice) => (choice.base && !choice.base.findings ? [choice.base.historyId] : [])))
  return choices.map((choice, i) => {
    const base = choice.base
    if (!base) return { outcome: choice.outcome, base: undefined, diff: undefined }
    const baseFindings = base.findings ?? fromHistory.get(base.historyId) ?? []
    return {
      outcome: choice.outcome,
      base: { scanId: base.scanId, digest: base.digest, fingerprint: base.fingerprint, findings: () => baseFindings },
      diff: diffFindings(baseFindings, inputs[i]!.scan.findings),
    }
  })
}

/**
 * The rescan decision `recordScan` would make for this scan now, read-only: the same candidate
 * query and rules, without the lock and without writing, for `postee explain`. A concurrent
 * ingest of the same image can still make the stored decision differ.
 */
export async function previewRescan(db: Kysely<Database>, scan: Scan, fingerprint: string): Promise<RescanDecision> {
  const [candidates] = await loadCandidates(db, [scan])
  const { outcome, base } = chooseBase(scan, fingerprint, candidates!)
  if (!base) return { outcome, base: undefined, diff: undefined }
  const baseFindings = (await loadFindings(db, [base.historyId])).get(base.historyId) ?? []
  return { outcome, base: { ...base, findings: () => baseFindings }, diff: diffFindings(baseFindings, scan.findings) }
}

// One query for every scan of a batch: the stored scan of the same identity, of the previous
// digest the payload names, and the latest of the same image with another digest. Finding sets
// stay in the table until a decision needs one.
async function loadCandidates(db: Kysely<Database>, scans: readonly Scan[]): Promise<Candidates[]> {
  const column = <T>(pick: (scan: Scan) => T) => scans.map(pick)
  const { rows } = await sql<CandidateRow>`
    with input as (
      select * from unnest(${scans.map((_scan, i) => i)}::int[], ${column((s) => s.registry)}::text[],
        ${column((s) => s.image)}::text[], ${column((s) => s.digest)}::text[], ${column((s) => s.previousDigest)}::text[])
        as t(n, registry, image, digest, previous))
    select i.n, 'same' as role, h.id, h.digest, h.fingerprint, h.latest_scan_id from input i
      join scan_history h on h.registry = i.registry and h.image = i.image and h.digest = i.digest
    union all
    select i.n, 'previous', h.id, h.digest, h.fingerprint, h.latest_scan_id from input i
      join scan_history h on h.registry = i.registry and h.image = i.image and h.digest = i.previous
      where i.previous <> i.digest
    union all
    select i.n, 'latest', l.id, l.digest, l.fingerprint, l.latest_scan_id from input i
      cross join lateral (select id, digest, fingerprint, latest_scan_id from scan_history h
        where h.registry = i.registry and h.image = i.image and h.digest <> i.digest
        order by last_seen desc, id desc limit 1) l`.execute(db)
  const result: Candidates[] = scans.map(() => ({ sameIdentity: undefined, previousDigest: undefined, latestOtherDigest: undefined }))
  const key = { same: 'sameIdentity', previous: 'previousDigest', latest: 'latestOtherDigest' } as const
  for (const row of rows) {
    result[row.n]![key[row.role]] = { historyId: Number(row.id), scanId: row.latest_scan_id, digest: row.digest, fingerprint: row.fingerprint }
  }
  return result
}

async function loadFindings(db: Kysely<Database>, historyIds: readonly number[]): Promise<Map<number, Finding[]>> {
  if (historyIds.length === 0) return new Map()
  const rows = await db.selectFrom('scan_history').select(['id', 'findings']).where('id', 'in', [...new Set(historyIds)]).execute()
  return new Map(rows.map((row) => [Number(row.id), unpackFindings(JSON.parse(row.findings) as StoredFinding[])]))
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
 * last seen and by whom; new or changed: the finding set), and the delivery rows. Deliveries
 * to queue are stamped enqueued now, since ingest queues them right after the commit; if that
 * fails it clears the stamp, and the relay covers a crash in between.
 */
async function writeAll(
  db: Kysely<Database>,
  inputs: readonly ScanToRecord[],
  decisions: readonly RescanDecision[],
  planned: readonly (readonly PlannedDelivery[])[],
): Promise<void> {
  const scans = inputs.map(({ id, scan, rawBody }, i) => ({ id, scan, decision: decisions[i]!, body: packBody(rawBody) }))
  const groups = historyGroups(inputs, decisions)
  const seen = groups.filter((g) => g.latest === undefined)
  const stored = groups.flatMap((g) => (g.latest ? [{ ...historyRow(g.latest), workloads: JSON.stringify(g.workloads) }] : []))
  const deliveries = planned.flatMap((list, i) => list.map((d) => ({ ...d, scanId: inputs[i]!.id })))
  const col = <T, V>(rows: readonly T[], pick: (row: T) => V) => rows.map(pick)
  await sql`
    with new_scans as (
      insert into scans (id, source, registry, image, digest, outcome, base_digest, base_scan_id, diff, body, size_bytes)
      select * from unnest(${col(scans, (s) => s.id)}::uuid[], ${col(scans, (s) => s.scan.source)}::text[],
        ${col(scans, (s) => s.scan.registry)}::text[], ${col(scans, (s) => s.scan.image)}::text[], ${col(scans, (s) => s.scan.digest)}::text[],
        ${col(scans, (s) => s.decision.outcome)}::text[], ${col(scans, (s) => s.decision.base?.digest ?? null)}::text[],
        ${col(scans, (s) => s.decision.base?.scanId ?? null)}::uuid[],
        ${col(scans, (s) => (s.decision.diff ? JSON.stringify(storedDiff(s.decision.diff)) : null))}::jsonb[],
        ${col(scans, (s) => s.body)}::bytea[], ${col(scans, (s) => s.body.length)}::int[])
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
      insert into deliveries (id, scan_id, output, kind, status, enqueued_at)
      select d.id, d.scan_id, d.output, d.kind, d.status, case when d.status = 'pending' then now() end
      from unnest(${col(deliveries, (d) => d.id)}::uuid[], ${col(deliveries, (d) => d.scanId)}::uuid[], ${col(deliveries, (d) => d.output)}::text[],
        ${col(deliveries, (d) => d.kind)}::text[], ${col(deliveries, (d) => d.status)}::text[]) as d(id, scan_id, output, kind, status)
      returning 1)
    select (select count(*) from new_scans) as scans, (select count(*) from seen) as seen,
      (select count(*) from stored) as stored, (select count(*) from planned) as deliveries`.execute(db)
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
