import { createHash } from 'node:crypto'
import { countBySeverity, severityRank, type Finding, type Scan, type SeverityCounts } from './model.js'

/** The identity of a finding within a scan: resource, its version, and the vulnerability. */
export function findingKey(finding: Finding): string {
  return `${finding.resource}\u0000${finding.resourceVersion}\u0000${finding.vulnerability}`
}

// A scan's finding set is needed up to three times per ingest (fingerprint, diff, stored set):
// computed once per findings array. For 85,000 findings that is one map of keys and one sort
// instead of three; the cached array only holds references to findings the scan holds anyway.
const sets = new WeakMap<readonly Finding[], readonly Finding[]>()

/** The finding set of a scan: one finding per key, the first seen winning, sorted by key. */
export function findingSet(findings: readonly Finding[]): readonly Finding[] {
  const known = sets.get(findings)
  if (known) return known
  if (isFindingSet(findings)) {
    // A stored set (packFindings) comes back sorted and unique: no map of 85,000 keys to rebuild.
    sets.set(findings, findings)
    return findings
  }
  const byKey = new Map<string, Finding>()
  for (const finding of findings) {
    const key = findingKey(finding)
    if (!byKey.has(key)) byKey.set(key, finding)
  }
  const set = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, finding]) => finding)
  sets.set(findings, set)
  return set
}

// True when the keys strictly increase: already a finding set. Keys are made two at a time, so
// the check allocates nothing that outlives one comparison.
function isFindingSet(findings: readonly Finding[]): boolean {
  for (let i = 1; i < findings.length; i++) if (!(findingKey(findings[i - 1]!) < findingKey(findings[i]!))) return false
  return true
}

/**
 * What makes two scans of one identity "the same" (docs/delivery-guarantees.md, rescans and diffs):
 * the finding set, `disallowed`, and the malware and sensitive-data counts, hashed so history rows
 * compare cheaply.
 */
export function scanFingerprint(scan: Scan): string {
  const hash = createHash('sha256')
  for (const finding of findingSet(scan.findings)) hash.update(findingKey(finding)).update('\u0001')
  hash.update(`|disallowed=${scan.compliance?.disallowed ?? 'n/a'}`)
  hash.update(`|malware=${scan.malware.count}|sensitive=${scan.sensitiveData.count}`)
  return hash.digest('hex')
}

/** New and fixed findings of a scan against its base, most severe first, with counts per level. */
export interface ScanDiff {
  readonly added: readonly Finding[]
  readonly fixed: readonly Finding[]
  readonly addedBySeverity: SeverityCounts
  readonly fixedBySeverity: SeverityCounts
  /** New findings a bounded summary left out of `added` (counted in addedBySeverity). */
  readonly omittedAdded?: number
  /** Fixed findings a bounded summary left out of `fixed` (counted in fixedBySeverity). */
  readonly omittedFixed?: number
}

/**
 * Diffs two finding lists as sets keyed by `findingKey`: a merge of the two sets, both sorted by
 * key, so no set of every key is built (two scans of 85,000 findings would need two).
 */
export function diffFindings(base: readonly Finding[], current: readonly Finding[]): ScanDiff {
  const before = findingSet(base)
  const after = findingSet(current)
  const added: Finding[] = []
  const fixed: Finding[] = []
  let i = 0
  let j = 0
  while (i < before.length || j < after.length) {
    if (i >= before.length) added.push(after[j++]!)
    else if (j >= after.length) fixed.push(before[i++]!)
    else {
      const a = findingKey(before[i]!)
      const b = findingKey(after[j]!)
      if (a === b) {
        i++
        j++
      } else if (a < b) fixed.push(before[i++]!)
      else added.push(after[j++]!)
    }
  }
  bySeverity(added)
  bySeverity(fixed)
  return { added, fixed, addedBySeverity: countBySeverity(added), fixedBySeverity: countBySeverity(fixed) }
}

function bySeverity(findings: Finding[]): Finding[] {
  // Array.prototype.sort is stable, so within a level the key order of findingSet stays.
  return findings.sort((a, b) => severityRank(a.severity) - severityRank(b.severity))
}

/**
 * Findings in the compact form stored in history rows (arrays, not objects: a 5,000-finding scan
 * stays small), and back.
 */
export type StoredFinding = readonly [string, string, string, Finding['severity'], string, string?, string?]

/** Packs findings for storage. */
export function packFindings(findings: readonly Finding[]): StoredFinding[] {
  return findingSet(findings).map((f) =>
    f.title !== undefined || f.link !== undefined
      ? [f.resource, f.resourceVersion, f.vulnerability, f.severity, f.fixVersion, f.title ?? '', f.link ?? '']
      : [f.resource, f.resourceVersion, f.vulnerability, f.severity, f.fixVersion],
  )
}

/** Unpacks findings stored by `packFindings`. */
export function unpackFindings(stored: readonly StoredFinding[]): Finding[] {
  return stored.map(([resource, resourceVersion, vulnerability, severity, fixVersion, title, link]) => ({
    resource,
    resourceVersion,
    vulnerability,
    severity,
    fixVersion,
    ...(title ? { title } : {}),
    ...(link ? { link } : {}),
  }))
}
