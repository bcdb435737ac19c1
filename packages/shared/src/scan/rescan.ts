import { diffFindings, type ScanDiff } from './diff.js'
import type { Finding, Scan, ScanOutcome } from './model.js'

/** A stored scan of the history, as the rescan decision needs it. */
export interface StoredScan {
  readonly scanId: string
  readonly digest: string
  readonly fingerprint: string
  /** Read only when a diff is needed: unpacking a large finding set is not free. */
  readonly findings: () => readonly Finding[]
}

/** The stored scans of one (registry, image) that can serve as the base for a new scan. */
export interface HistoryCandidates {
  /** Same registry, image and digest. */
  readonly sameIdentity: StoredScan | undefined
  /** Same registry and image, digest = the scan's previous digest (when it names another one). */
  readonly previousDigest: StoredScan | undefined
  /** The most recently seen scan of the same registry and image with another digest. */
  readonly latestOtherDigest: StoredScan | undefined
}

/** The outcome of a scan against the history, the base it was diffed against, and the diff. */
export interface RescanDecision {
  readonly outcome: ScanOutcome
  readonly base: StoredScan | undefined
  readonly diff: ScanDiff | undefined
}

/**
 * Decides new / changed / unchanged and the diff base exactly as behaviour.md "Rescans" says: the
 * base is the previous digest's scan, else the same identity, else the latest other digest.
 */
export function decideRescan(scan: Scan, fingerprint: string, candidates: HistoryCandidates): RescanDecision {
  const { sameIdentity } = candidates
  if (sameIdentity && sameIdentity.fingerprint === fingerprint) {
    return { outcome: 'unchanged', base: undefined, diff: undefined }
  }
  const namesOtherPrevious = scan.previousDigest !== '' && scan.previousDigest !== scan.digest
  const base =
    (namesOtherPrevious ? candidates.previousDigest : undefined) ?? sameIdentity ?? candidates.latestOtherDigest
  if (!base) return { outcome: 'new', base: undefined, diff: undefined }
  return { outcome: 'changed', base, diff: diffFindings(base.findings(), scan.findings) }
}
