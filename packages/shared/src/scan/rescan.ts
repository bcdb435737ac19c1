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

/**
 * The outcome of a scan against the history, its base and the diff. The base of a changed scan is
 * the scan it was diffed against; of an unchanged one, the stored scan it matched (no diff is
 * computed: there is nothing to tell apart).
 */
export interface RescanDecision {
  readonly outcome: ScanOutcome
  readonly base: StoredScan | undefined
  readonly diff: ScanDiff | undefined
}

/**
 * The outcome and the base of a scan, before any finding set is read (docs/scans.md, rescans):
 * unchanged when the same identity has the same fingerprint (its base is that stored scan); else
 * the base is the previous digest's scan, else the same identity, else the latest other digest;
 * no base is `new`.
 */
export function chooseBase<T extends Pick<StoredScan, 'fingerprint'>>(
  scan: Scan,
  fingerprint: string,
  candidates: { readonly sameIdentity: T | undefined; readonly previousDigest: T | undefined; readonly latestOtherDigest: T | undefined },
): { readonly outcome: ScanOutcome; readonly base: T | undefined } {
  const { sameIdentity } = candidates
  if (sameIdentity && sameIdentity.fingerprint === fingerprint) return { outcome: 'unchanged', base: sameIdentity }
  const namesOtherPrevious = scan.previousDigest !== '' && scan.previousDigest !== scan.digest
  const base = (namesOtherPrevious ? candidates.previousDigest : undefined) ?? sameIdentity ?? candidates.latestOtherDigest
  return base ? { outcome: 'changed', base } : { outcome: 'new', base: undefined }
}

/** Decides new / changed / unchanged, the diff base and the diff (see `chooseBase`). */
export function decideRescan(scan: Scan, fingerprint: string, candidates: HistoryCandidates): RescanDecision {
  const { outcome, base } = chooseBase(scan, fingerprint, candidates)
  if (!base || outcome === 'unchanged') return { outcome, base, diff: undefined }
  return { outcome, base, diff: diffFindings(base.findings(), scan.findings) }
}
