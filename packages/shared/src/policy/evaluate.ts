/**
 * The per-integration policy chain (docs/configuration.md, policies). Steps run in Postee's order
 * and the first failing one decides, so a skip always names one cfg.yaml key, the one a user must
 * change.
 */
import type { PolicySettings } from '../config/types.js'
import { SEVERITIES, severityRank, type Scan, type ScanOutcome, type Severity } from '../scan/model.js'
import { findMatchingPattern } from './pattern.js'

/** The cfg.yaml keys that can skip a scan for an integration. */
export type PolicyKey =
  | 'Policy-Show-All'
  | 'Policy-Min-Vulnerability'
  | 'Ignore-Registry'
  | 'Ignore-Image-Name'
  | 'Policy-Image-Name'
  | 'Policy-Registry'
  | 'Policy-Non-Compliant'
  | 'Policy-Only-Fix-Available'

/** Whether a scan goes to an integration and, when not, the key that stopped it and why, for logs and `explain`. */
export type PolicyDecision = { readonly send: true } | { readonly send: false; readonly key: PolicyKey; readonly reason: string }

type Step = (scan: Scan, outcome: ScanOutcome, policy: PolicySettings) => PolicyDecision

const SEND: PolicyDecision = { send: true }

function skip(key: PolicyKey, reason: string): PolicyDecision {
  return { send: false, key, reason }
}

function listText(patterns: readonly string[]): string {
  return `[${patterns.map((pattern) => JSON.stringify(pattern)).join(', ')}]`
}

const showAll: Step = (_scan, outcome, policy) =>
  outcome === 'unchanged' && !policy.showAll
    ? skip('Policy-Show-All', 'unchanged rescan (same findings as the stored scan) and Policy-Show-All is off')
    : SEND

const minVulnerability: Step = (scan, _outcome, policy) => {
  const min = policy.minVulnerability
  if (min === undefined) return SEND
  const levels: readonly Severity[] = SEVERITIES.slice(0, severityRank(min) + 1)
  if (levels.some((level) => scan.counts[level] > 0)) return SEND
  const counts = levels.map((level) => `${level} ${scan.counts[level]}`).join(', ')
  const above = min === 'critical' ? 'critical' : `${min} or above`
  return skip('Policy-Min-Vulnerability', `no vulnerability at ${above} (${counts})`)
}

function ignoreStep(key: PolicyKey, field: 'registry' | 'image', list: (policy: PolicySettings) => readonly string[]): Step {
  return (scan, _outcome, policy) => {
    const hit = findMatchingPattern(scan[field], list(policy))
    return hit === undefined ? SEND : skip(key, `${field} ${JSON.stringify(scan[field])} matches ${key} pattern ${JSON.stringify(hit)}`)
  }
}

function requireStep(key: PolicyKey, field: 'registry' | 'image', list: (policy: PolicySettings) => readonly string[]): Step {
  return (scan, _outcome, policy) => {
    const patterns = list(policy)
    // An empty list means the key is unset, not "nothing may pass".
    if (patterns.length === 0 || findMatchingPattern(scan[field], patterns) !== undefined) return SEND
    return skip(key, `${field} ${JSON.stringify(scan[field])} matches none of ${key} ${listText(patterns)}`)
  }
}

const nonCompliant: Step = (scan, _outcome, policy) => {
  if (!policy.nonCompliant || scan.compliance?.disallowed === true) return SEND
  // A source without assurance results cannot prove non-compliance, so it never passes.
  return skip(
    'Policy-Non-Compliant',
    scan.compliance === undefined
      ? `the ${scan.source} scan has no image assurance results, so it cannot be non-compliant`
      : 'the image is compliant (image assurance did not disallow it)',
  )
}

const onlyFixAvailable: Step = (scan, _outcome, policy) =>
  !policy.onlyFixAvailable || scan.findings.some((finding) => finding.fixVersion !== '')
    ? SEND
    : skip(
        'Policy-Only-Fix-Available',
        scan.findings.length === 0
          ? 'the scan lists no vulnerabilities, so none has a fix version'
          : `none of the ${scan.findings.length} vulnerabilities has a fix version`,
      )

// The order is behaviour, not style: with several failing steps the first one is reported.
const CHAIN: readonly Step[] = [
  showAll,
  minVulnerability,
  ignoreStep('Ignore-Registry', 'registry', (policy) => policy.ignoreRegistries),
  ignoreStep('Ignore-Image-Name', 'image', (policy) => policy.ignoreImageNames),
  requireStep('Policy-Image-Name', 'image', (policy) => policy.imageNames),
  requireStep('Policy-Registry', 'registry', (policy) => policy.registries),
  nonCompliant,
  onlyFixAvailable,
]

/** Runs an integration's policy chain on a scan; the first step that fails skips it and is reported. */
export function evaluatePolicies(scan: Scan, outcome: ScanOutcome, policy: PolicySettings): PolicyDecision {
  for (const step of CHAIN) {
    const decision = step(scan, outcome, policy)
    if (!decision.send) return decision
  }
  return SEND
}
