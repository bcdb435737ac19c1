import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import {
  chooseBase,
  diffFindings,
  summarizeDiff,
  unpackFindings,
  windowKey,
  type AggregationSettings,
  type Finding,
  type RescanDecision,
  type Scan,
  type StoredFinding,
} from '@postee/shared'
import { holdForAggregation, type AggregationTrigger } from './aggregation.repository.js'
import { identityOf, writeAll } from './scan-writes.js'
import type { Database, DeliveryStatus } from './database.js'

/** A delivery the policies planned for a scan, before it has a row. */
export interface PlannedDelivery {
  readonly id: string
  readonly output: string
  readonly kind: string
  readonly status: Extract<DeliveryStatus, 'pending' | 'buffered'>
  /** For a `buffered` delivery: the output's aggregation keys. */
  readonly aggregation?: AggregationSettings
  /** For a `buffered` delivery: who receives it, when that depends on the scan (audienceKey). */
  readonly audience?: string
}

/** What ingest hands over to be stored. */
export interface ScanToRecord {
  readonly id: string
  readonly scan: Scan
  /** The body as received: its bytes (ingest, so a large body is not copied into a string) or text. */
  readonly rawBody: string | Uint8Array
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
      const held = planned
        .flat()
        .flatMap((d) =>
          d.status === 'buffered' && d.aggregation ? [{ output: d.output, aggregation: d.aggregation, audience: d.audience ?? '' }] : [],
        )
      const triggers = held.length > 0 ? await holdForAggregation(conn, held) : []
      await sql`commit`.execute(conn)
      return inputs.map((_input, i) => {
        const outputs = new Set(planned[i]!.map((d) => d.output))
        const audiences = new Set(planned[i]!.map((d) => windowKey(d.output, d.audience ?? '')))
        return {
          decision: decisions[i]!,
          deliveries: planned[i]!,
          aggregation: triggers.filter((t) => outputs.has(t.output) && audiences.has(windowKey(t.output, t.audience))),
        }
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
    const choice = chooseBase(input.scan, input.fingerprint, {
      ...fromTable,
      sameIdentity: written.get(identity) ?? fromTable.sameIdentity,
    })
    if (choice.outcome !== 'unchanged') {
      written.set(identity, {
        historyId: -1,
        scanId: input.id,
        digest: input.scan.digest,
        fingerprint: input.fingerprint,
        findings: input.scan.findings,
      })
    }
    return choice
  })
  const needsDiff = (choice: (typeof choices)[number]) => choice.base !== undefined && choice.outcome !== 'unchanged'
  const fromHistory = await loadFindings(
    trx,
    choices.flatMap((choice) => (needsDiff(choice) && !choice.base!.findings ? [choice.base!.historyId] : [])),
  )
  const decisions = choices.map((choice, i) => {
    const base = choice.base
    if (!base) return { outcome: choice.outcome, base: undefined, diff: undefined }
    const kept = { scanId: base.scanId, digest: base.digest, fingerprint: base.fingerprint, findings: droppedBaseFindings }
    // The matched scan has the same finding set as this one: nothing to load, nothing to diff.
    if (choice.outcome === 'unchanged') return { outcome: choice.outcome, base: kept, diff: undefined }
    // Bounded at once (whole counts, the most severe SUMMARY_ROWS findings): `fixed` of a whole
    // diff would keep every base finding alive through the writes.
    const diff = summarizeDiff(diffFindings(base.findings ?? fromHistory.get(base.historyId) ?? [], inputs[i]!.scan.findings))
    return { outcome: choice.outcome, base: kept, diff }
  })
  // The base finding sets (85,000 findings of a large scan are tens of MB as objects) are not kept
  // through the writes: the diff is all that is needed of them.
  fromHistory.clear()
  return decisions
}

function droppedBaseFindings(): never {
  throw new Error('recordScans does not keep the base finding set once the diff is made (it can be large); read it with previewRescan')
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
  if (outcome === 'unchanged') return { outcome, base: { ...base, findings: () => scan.findings }, diff: undefined }
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
    result[row.n]![key[row.role]] = {
      historyId: Number(row.id),
      scanId: row.latest_scan_id,
      digest: row.digest,
      fingerprint: row.fingerprint,
    }
  }
  return result
}

async function loadFindings(db: Kysely<Database>, historyIds: readonly number[]): Promise<Map<number, Finding[]>> {
  if (historyIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('scan_history')
    .select(['id', 'findings'])
    .where('id', 'in', [...new Set(historyIds)])
    .execute()
  const sets = new Map<number, Finding[]>()
  // One row at a time, each row's text let go as soon as it is unpacked.
  for (let i = 0; i < rows.length; i++) {
    sets.set(Number(rows[i]!.id), unpackFindings(JSON.parse(rows[i]!.findings) as StoredFinding[]))
    rows[i] = { id: rows[i]!.id, findings: '' }
  }
  return sets
}
