import {
  SEVERITIES,
  isAggregated,
  routeScan,
  type Config,
  type DeliveryBatch,
  type Integration,
  type MessagePart,
  type MessagePreview,
  type OutputKind,
  type PolicyKey,
  type RescanDecision,
  type Scan,
  type ScanOutcome,
  type SeverityCounts,
} from '@postee/shared'
import { createOutput } from '@postee/dispatcher/outputs'
import { count, duration } from '../format.js'

// A made-up id: nothing is stored, and a fixed one keeps previews (a Jira label is derived from
// it) the same from one run to the next.
const EXPLAIN_ID = '00000000-0000-0000-0000-000000000000'

/** Where the rescan decision came from: the live history, or an assumption and why. */
export interface HistorySource {
  readonly consulted: boolean
  /** Why the history was not consulted; undefined when it was. */
  readonly note: string | undefined
  readonly decision: RescanDecision
}

/** Everything `postee explain` found out about one payload, as printed with `--json`. */
export interface Explanation {
  readonly payload: string
  readonly scan: {
    readonly source: string
    readonly registry: string
    readonly image: string
    readonly digest: string
    readonly findings: number
    readonly counts: SeverityCounts
  }
  readonly history: { readonly consulted: boolean; readonly note: string | undefined }
  readonly decision: {
    readonly outcome: ScanOutcome
    readonly baseDigest: string | null
    readonly baseScanId: string | null
    readonly diff: {
      readonly added: number
      readonly fixed: number
      readonly addedBySeverity: SeverityCounts
      readonly fixedBySeverity: SeverityCounts
    } | null
  }
  readonly integrations: readonly IntegrationExplanation[]
}

/** One enabled integration: skipped by a policy key, or sent (possibly held) with its preview. */
export type IntegrationExplanation =
  | { readonly name: string; readonly kind: OutputKind; readonly send: false; readonly key: PolicyKey; readonly reason: string }
  | {
      readonly name: string
      readonly kind: OutputKind
      readonly send: true
      readonly aggregation: { readonly held: boolean; readonly issuesNumber: number | null; readonly timeoutMs: number | null }
      readonly preview: MessagePreview | null
      /** Why there is no preview (an output that could not render); null when there is one. */
      readonly previewError: string | null
    }

/** Routes the scan through the config's policies and previews what each integration would get. */
export function explainScan(
  config: Config,
  payload: { readonly path: string; readonly scan: Scan; readonly rawBody: string },
  history: HistorySource,
): Explanation {
  const { scan } = payload
  const { outcome, base, diff } = history.decision
  const batch: DeliveryBatch = {
    key: EXPLAIN_ID,
    aggregated: false,
    items: [{ deliveryId: EXPLAIN_ID, scanId: EXPLAIN_ID, scan, rawBody: payload.rawBody, outcome, diff, receivedAt: new Date() }],
  }
  const integrations = routeScan(config.integrations, scan, outcome).map(({ integration, decision }): IntegrationExplanation => {
    const { name, kind } = integration
    if (!decision.send) return { name, kind, send: false, key: decision.key, reason: decision.reason }
    const { issuesNumber, timeoutMs } = integration.aggregation
    const aggregation = {
      held: isAggregated(integration.aggregation),
      issuesNumber: issuesNumber ?? null,
      timeoutMs: timeoutMs ?? null,
    }
    return { name, kind, send: true, aggregation, ...previewOf(integration, config.common.aquaServer, batch) }
  })
  return {
    payload: payload.path,
    scan: {
      source: scan.source,
      registry: scan.registry,
      image: scan.image,
      digest: scan.digest,
      findings: scan.findings.length,
      counts: scan.counts,
    },
    history: { consulted: history.consulted, note: history.note },
    decision: {
      outcome,
      baseDigest: base?.digest ?? null,
      baseScanId: base?.scanId ?? null,
      diff: diff
        ? {
            added: diff.added.length,
            fixed: diff.fixed.length,
            addedBySeverity: diff.addedBySeverity,
            fixedBySeverity: diff.fixedBySeverity,
          }
        : null,
    },
    integrations,
  }
}

function previewOf(
  integration: Integration,
  aquaServer: string | undefined,
  batch: DeliveryBatch,
): { preview: MessagePreview | null; previewError: string | null } {
  const output = createOutput(integration)
  if (output === undefined) return { preview: null, previewError: `this build has no ${integration.kind} output` }
  try {
    return { preview: output.preview({ aquaServer }, batch), previewError: null }
  } catch (error) {
    // A renderer bug must not hide the rest of the explanation.
    return { preview: null, previewError: (error as Error).message }
  }
}

/** The explanation as text for an operator: the scan, the decision, one line per integration. */
export function explanationLines(e: Explanation): string[] {
  const { scan, decision } = e
  const lines = [
    `scan      ${scan.source}: ${scan.registry} / ${scan.image}${scan.digest ? ` @ ${scan.digest}` : ''}`,
    `          ${count(scan.findings)} findings; counts ${countsText(scan.counts, true)}`,
    `decision  ${decisionText(e)}`,
  ]
  if (decision.diff) {
    lines.push(
      `          diff: ${decision.diff.added} added (${countsText(decision.diff.addedBySeverity, false)}), ${decision.diff.fixed} fixed (${countsText(decision.diff.fixedBySeverity, false)})`,
    )
  }
  if (!e.history.consulted) lines.push(`          note: ${e.history.note}`)
  lines.push('', e.integrations.length === 0 ? 'no enabled integration' : `${e.integrations.length} enabled integrations:`)
  for (const integration of e.integrations) lines.push(integrationLine(integration))
  return lines
}

function decisionText(e: Explanation): string {
  const { decision, scan } = e
  switch (decision.outcome) {
    case 'new':
      return `new: no stored scan of ${scan.registry} / ${scan.image} to compare with`
    case 'unchanged':
      return 'unchanged: the stored scan of this registry, image and digest has the same findings, compliance and malware/sensitive-data counts; only integrations with Policy-Show-All get it'
    case 'changed':
      return `changed against ${decision.baseDigest || '(no digest)'} (stored scan ${decision.baseScanId})`
  }
}

function integrationLine(i: IntegrationExplanation): string {
  const who = `${i.name} (${i.kind})`
  if (!i.send) return `SKIP  ${who}: ${i.key}: ${i.reason}`
  const held = i.aggregation.held ? `, held for aggregation (${aggregationText(i.aggregation.issuesNumber, i.aggregation.timeoutMs)})` : ''
  const what = i.preview ? `${i.preview.format}; ${i.preview.parts.map(partText).join(', ')}` : `no preview: ${i.previewError}`
  return `SEND  ${who}${held}: ${what}`
}

function aggregationText(issuesNumber: number | null, timeoutMs: number | null): string {
  const parts = [issuesNumber !== null && `flushed at ${issuesNumber} scans`, timeoutMs !== null && `window ${duration(timeoutMs)}`].filter(
    Boolean,
  )
  return parts.join(' or ')
}

/** `blocks 23/50`, `text 11,482/12,000 characters`, `body 9,828 bytes`; flagged when over its limit. */
export function partText(part: MessagePart): string {
  const size = part.limit === undefined ? count(part.size) : `${count(part.size)}/${count(part.limit)}`
  const unit = part.unit === part.name ? '' : ` ${part.unit}`
  const over = part.limit !== undefined && part.size > part.limit ? ' (OVER THE LIMIT)' : ''
  return `${part.name} ${size}${unit}${over}`
}

function countsText(counts: SeverityCounts, all: boolean): string {
  const levels = SEVERITIES.filter((level) => all || counts[level] > 0)
  return levels.length === 0 ? 'none' : levels.map((level) => `${level} ${counts[level]}`).join(', ')
}
