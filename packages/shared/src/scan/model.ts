/**
 * The one scan model every source is parsed into. Diff, policies, rendering and outputs see only
 * this, never a source's own field names.
 */

/** The input formats ingest understands. */
export type ScanSource = 'aqua' | 'trivy' | 'trivy-operator'

/** Policy levels, most severe first; Trivy's UNKNOWN and Aqua's unrated findings count as negligible. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible'] as const

/** One of the five policy levels. */
export type Severity = (typeof SEVERITIES)[number]

/** Count of findings (or of summary counters) per policy level. */
export type SeverityCounts = Readonly<Record<Severity, number>>

/** One vulnerability in one resource (package or file) of an image. */
export interface Finding {
  /** Package name, or the file path for file resources that have no name. */
  readonly resource: string
  readonly resourceVersion: string
  /** CVE or advisory id. */
  readonly vulnerability: string
  readonly severity: Severity
  /** Empty when no fix is known. */
  readonly fixVersion: string
  readonly title?: string
  readonly link?: string
}

/** One assurance control of an Aqua image assurance policy and whether the image failed it. */
export interface AssuranceCheck {
  readonly control: string
  readonly policyName: string
  readonly failed: boolean
}

/** Image assurance results; only Aqua reports them. */
export interface Compliance {
  readonly disallowed: boolean
  readonly checks: readonly AssuranceCheck[]
}

/** A malware or sensitive-data scan: whether it ran, how many items it found, and the items. */
export interface AuxiliaryScan {
  readonly scanned: boolean
  readonly count: number
  readonly items: readonly Readonly<Record<string, unknown>>[]
}

/** Where a Trivy Operator report came from: the workload running the image. */
export interface Workload {
  readonly namespace: string
  readonly kind: string
  readonly name: string
  readonly container: string
}

/** A scan result, whatever its source. */
export interface Scan {
  readonly source: ScanSource
  /** Aqua's registry display name, or the registry host of the image reference for Trivy. */
  readonly registry: string
  /** repository:tag */
  readonly image: string
  /** Empty when the source does not know it. */
  readonly digest: string
  /** The digest the source says this scan replaces (Aqua's previous_digest); empty when unknown. */
  readonly previousDigest: string
  readonly findings: readonly Finding[]
  /** The counters policies read: Aqua's vulnerability_summary, or counts computed from findings. */
  readonly counts: SeverityCounts
  /** Undefined when the source has no compliance results (every source but Aqua). */
  readonly compliance: Compliance | undefined
  readonly malware: AuxiliaryScan
  readonly sensitiveData: AuxiliaryScan
  /** Aqua application scope owners: the addresses `<%application_scope_owner%>` expands to. */
  readonly owners: readonly string[]
  readonly workloads: readonly Workload[]
  /** Rows a bounded summary (summarizeScan) left out of its lists; undefined for a whole scan. */
  readonly omitted?: { readonly findings: number; readonly malware: number; readonly sensitiveData: number }
}

/** A scan and the exact body it arrived as, which webhook outputs forward unchanged. */
export interface ReceivedScan {
  readonly scan: Scan
  readonly rawBody: string
}

/** All five levels at zero, the start for counting. */
export function zeroCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, negligible: 0 }
}

/** Counts findings per level. */
export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = zeroCounts()
  for (const finding of findings) counts[finding.severity] += 1
  return counts
}

/**
 * The policy level a source's severity word names, or undefined when it names none (absent,
 * empty, or a word no level matches). Postee counted only findings with a level.
 */
export function ratedSeverity(word: string | undefined | null): Severity | undefined {
  const lower = (word ?? '').trim().toLowerCase()
  return (SEVERITIES as readonly string[]).includes(lower) ? (lower as Severity) : undefined
}

/** Maps a source's severity word onto a policy level; anything unrecognised is negligible. */
export function toSeverity(word: string | undefined | null): Severity {
  switch ((word ?? '').trim().toLowerCase()) {
    case 'critical':
      return 'critical'
    case 'high':
      return 'high'
    case 'medium':
      return 'medium'
    case 'low':
      return 'low'
    default:
      return 'negligible'
  }
}

/** Orders severities most severe first. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

/**
 * What a scan is relative to the stored history (see docs/delivery-guarantees.md, rescans and
 * diffs).
 */
export type ScanOutcome = 'new' | 'changed' | 'unchanged'
