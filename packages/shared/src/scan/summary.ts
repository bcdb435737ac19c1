import { SEVERITIES, type Finding, type Scan } from './model.js'
import type { ScanDiff } from './diff.js'

/**
 * The most rows of one list (findings, new and fixed findings, malware, sensitive data) a report
 * holds. No target shows more (the largest, an email's 100 KB text part, holds about 950), so
 * a bounded summary renders exactly as the whole scan does while costing kilobytes, not the
 * hundreds of megabytes an 85,000-finding scan takes as objects.
 */
export const SUMMARY_ROWS = 2_000

/** How many rows of each list a summary left out ("and N more" counts them too). */
export interface ScanOmissions {
  readonly findings: number
  readonly malware: number
  readonly sensitiveData: number
}

/**
 * The first `cap` findings most severe first, in the scan's order within a level: what sorting
 * by severity and cutting would keep, without sorting (or copying) the whole list.
 */
export function mostSevere(findings: readonly Finding[], cap: number): Finding[] {
  if (findings.length <= cap) return stableBySeverity([...findings])
  const kept: Finding[] = []
  for (const level of SEVERITIES) {
    for (const finding of findings) {
      if (kept.length >= cap) return kept
      if (finding.severity === level) kept.push(finding)
    }
  }
  return kept
}

function stableBySeverity(findings: Finding[]): Finding[] {
  const rank = (f: Finding) => SEVERITIES.indexOf(f.severity)
  return findings.sort((a, b) => rank(a) - rank(b))
}

/**
 * A scan cut to what a report can show: at most `cap` findings (most severe first), malware and
 * sensitive-data items, with what was left out counted in `omitted`. Counts, compliance, owners
 * and workloads stay whole. Ingest stores it beside the body, so a dispatcher renders a huge
 * scan from kilobytes.
 */
export function summarizeScan(scan: Scan, cap = SUMMARY_ROWS): Scan {
  const before = scan.omitted ?? { findings: 0, malware: 0, sensitiveData: 0 }
  const findings = mostSevere(scan.findings, cap)
  const malware = scan.malware.items.slice(0, cap)
  const sensitive = scan.sensitiveData.items.slice(0, cap)
  return {
    ...scan,
    findings,
    malware: { ...scan.malware, items: malware },
    sensitiveData: { ...scan.sensitiveData, items: sensitive },
    omitted: {
      findings: before.findings + scan.findings.length - findings.length,
      malware: before.malware + scan.malware.items.length - malware.length,
      sensitiveData: before.sensitiveData + scan.sensitiveData.items.length - sensitive.length,
    },
  }
}

/** A diff cut the same way: at most `cap` new and fixed findings, the rest counted. */
export function summarizeDiff(diff: ScanDiff, cap = SUMMARY_ROWS): ScanDiff {
  const added = mostSevere(diff.added, cap)
  const fixed = mostSevere(diff.fixed, cap)
  return {
    ...diff,
    added,
    fixed,
    omittedAdded: (diff.omittedAdded ?? 0) + diff.added.length - added.length,
    omittedFixed: (diff.omittedFixed ?? 0) + diff.fixed.length - fixed.length,
  }
}
