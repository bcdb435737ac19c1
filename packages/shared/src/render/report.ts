import type { ScanDiff } from '../scan/diff.js'
import { SEVERITIES } from '../scan/model.js'
import type { Finding, Scan, Severity, SeverityCounts, Workload } from '../scan/model.js'
import { SUMMARY_ROWS, mostSevere } from '../scan/summary.js'
import { isSafeUrl } from './escape.js'

/** One vulnerability row of a report, with display-ready text. */
export interface ReportFinding {
  readonly severity: Severity
  readonly vulnerability: string
  /** The package name, or the file path for file resources. */
  readonly resource: string
  readonly installedVersion: string
  /** `none` when no fix is known. */
  readonly fixVersion: string
  readonly title?: string
  /** Only absolute http(s) URLs are kept. */
  readonly link?: string
}

/** One assurance control and its outcome. */
export interface ReportControl {
  readonly control: string
  readonly policyName: string
  readonly result: 'PASS' | 'FAIL'
}

/** One malware or sensitive-data finding: what was found, where, and its hash. */
export interface ReportItem {
  readonly name: string
  readonly path: string
  readonly hash: string
}

/** What changed since the base scan: new and fixed findings, most severe first, with counts. */
export interface ReportDiff {
  readonly added: readonly ReportFinding[]
  readonly fixed: readonly ReportFinding[]
  readonly addedCounts: SeverityCounts
  readonly fixedCounts: SeverityCounts
  /** New and fixed findings left out of the lists above (a bounded summary): "and N more" counts them. */
  readonly omittedAdded?: number
  readonly omittedFixed?: number
}

/**
 * The report of one scan (docs/postee-compatibility.md, messages), independent of any target: every
 * renderer turns this into its own markup. Text is cleaned of control characters and lone
 * surrogates, so no renderer has to think about CR/LF forging a line or a header.
 */
export interface Report {
  readonly title: string
  readonly image: string
  readonly registry: string
  readonly digest: string
  /** Undefined when the source has no compliance results: the line is left out. */
  readonly compliant: boolean | undefined
  /** Undefined when the malware scan did not run. */
  readonly malwareFound: boolean | undefined
  /** Undefined when the sensitive-data scan did not run. */
  readonly sensitiveDataFound: boolean | undefined
  readonly counts: SeverityCounts
  readonly controls: readonly ReportControl[]
  readonly diff: ReportDiff | undefined
  /** Most severe first; within a level, in the scan's order. */
  readonly vulnerabilities: readonly ReportFinding[]
  readonly malware: readonly ReportItem[]
  readonly sensitiveData: readonly ReportItem[]
  readonly workloads: readonly Workload[]
  /** The full report in the Aqua console, when AquaServer is set. */
  readonly link: string | undefined
  /** Part of an aggregated message: its title is the batch title even when it is alone. */
  readonly aggregated: boolean
  /**
   * Rows left out of the lists above before rendering (at most SUMMARY_ROWS are kept, most severe
   * first): every "and N more" counts them, so kept + N is still the scan's total.
   */
  readonly omitted?: { readonly vulnerabilities: number; readonly malware: number; readonly sensitiveData: number }
}

/** What `buildReport` needs from a delivery item. */
export interface ReportSource {
  readonly scan: Scan
  readonly diff: ScanDiff | undefined
}

/** Settings that shape every report. */
export interface ReportOptions {
  /** The Aqua console URL; when set, reports link to the image's page there. */
  readonly aquaServer?: string | undefined
  /** The report goes out in an aggregation batch (DeliveryBatch.aggregated). */
  readonly aggregated?: boolean
}

// Links longer than this are left out rather than cut: a cut URL is a wrong URL, and browsers and
// targets stop somewhere near 2,048 characters anyway.
const MAX_URL_LENGTH = 2000

/** The title of an aggregated report (docs/configuration.md, aggregation). */
export const BATCH_TITLE = 'Vulnerability scan report'

/** Builds the target-independent report of one scan and its diff. */
export function buildReport(item: ReportSource, options: ReportOptions = {}): Report {
  const { scan, diff } = item
  const image = clean(scan.image)
  // Bounded whatever the scan's size: only the rows a target could show are turned into rows.
  const findings = mostSevere(scan.findings, SUMMARY_ROWS)
  const malware = scan.malware.items.slice(0, SUMMARY_ROWS)
  const sensitive = scan.sensitiveData.items.slice(0, SUMMARY_ROWS)
  const before = scan.omitted ?? { findings: 0, malware: 0, sensitiveData: 0 }
  const omitted = {
    vulnerabilities: before.findings + scan.findings.length - findings.length,
    malware: before.malware + scan.malware.items.length - malware.length,
    sensitiveData: before.sensitiveData + scan.sensitiveData.items.length - sensitive.length,
  }
  return {
    title: `${image} vulnerability scan report`,
    image,
    registry: clean(scan.registry),
    digest: clean(scan.digest),
    compliant: scan.compliance === undefined ? undefined : !scan.compliance.disallowed,
    malwareFound: scan.malware.scanned ? scan.malware.count > 0 || scan.malware.items.length > 0 : undefined,
    sensitiveDataFound: scan.sensitiveData.scanned ? scan.sensitiveData.count > 0 || scan.sensitiveData.items.length > 0 : undefined,
    counts: { ...scan.counts },
    controls: (scan.compliance?.checks ?? []).map((check) => ({
      control: clean(check.control),
      policyName: clean(check.policyName),
      result: check.failed ? 'FAIL' : 'PASS',
    })),
    diff: diff === undefined ? undefined : toReportDiff(diff),
    vulnerabilities: findings.map(toReportFinding),
    malware: malware.map((item) => toItem(item, ['malware', 'name'])),
    sensitiveData: sensitive.map((item) => toItem(item, ['type', 'filename', 'name'])),
    workloads: scan.workloads.map((w) => ({
      namespace: clean(w.namespace),
      kind: clean(w.kind),
      name: clean(w.name),
      container: clean(w.container),
    })),
    link: imageLink(options.aquaServer, scan.registry, scan.image),
    aggregated: options.aggregated ?? false,
    ...(omitted.vulnerabilities + omitted.malware + omitted.sensitiveData > 0 ? { omitted } : {}),
  }
}

/**
 * The title of a message holding these reports: the scan's own title for a single scan, the batch
 * title for an aggregated message (even one that holds a single scan).
 */
export function batchTitle(reports: readonly Report[]): string {
  return reports.length === 1 && !reports[0]!.aggregated ? reports[0]!.title : BATCH_TITLE
}

/** Splits findings (already most severe first) into one group per level, most severe first. */
export function groupBySeverity(
  findings: readonly ReportFinding[],
): readonly { readonly severity: Severity; readonly findings: readonly ReportFinding[] }[] {
  return SEVERITIES.map((severity) => ({ severity, findings: findings.filter((f) => f.severity === severity) })).filter(
    (group) => group.findings.length > 0,
  )
}

/** The capitalised name of a level, for headings and labels. */
export function severityLabel(severity: Severity): string {
  return severity.charAt(0).toUpperCase() + severity.slice(1)
}

/**
 * The one sanitising step of every rendered text (titles, subjects, headers, fields): replaces
 * control characters (CR, LF, tab, NUL…) and the line and paragraph separators (U+2028, U+2029)
 * with a space, removes the bidirectional embedding, override and isolate controls (U+202A–U+202E,
 * U+2066–U+2069), and replaces lone surrogates with U+FFFD. A newline in an image name must not
 * start a line of markup or a mail header; a right-to-left override must not make
 * `exe.txt` read as `txt.exe` in a subject or a ticket summary; a lone surrogate has no UTF-8.
 */
export function clean(text: string): string {
  return (
    wellFormed(text)
      .replace(/[\u202a-\u202e\u2066-\u2069]/g, '')
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
  )
}

// String.prototype.toWellFormed is ES2024, newer than this project's lib setting.
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}

function toReportDiff(diff: ScanDiff): ReportDiff {
  const added = mostSevere(diff.added, SUMMARY_ROWS)
  const fixed = mostSevere(diff.fixed, SUMMARY_ROWS)
  const omittedAdded = (diff.omittedAdded ?? 0) + diff.added.length - added.length
  const omittedFixed = (diff.omittedFixed ?? 0) + diff.fixed.length - fixed.length
  return {
    added: added.map(toReportFinding),
    fixed: fixed.map(toReportFinding),
    addedCounts: { ...diff.addedBySeverity },
    fixedCounts: { ...diff.fixedBySeverity },
    ...(omittedAdded > 0 ? { omittedAdded } : {}),
    ...(omittedFixed > 0 ? { omittedFixed } : {}),
  }
}

function toReportFinding(finding: Finding): ReportFinding {
  const title = finding.title === undefined ? '' : clean(finding.title).trim()
  const link = finding.link === undefined ? '' : clean(finding.link).trim()
  return {
    severity: finding.severity,
    vulnerability: clean(finding.vulnerability),
    resource: clean(finding.resource),
    installedVersion: clean(finding.resourceVersion),
    fixVersion: finding.fixVersion.trim() === '' ? 'none' : clean(finding.fixVersion),
    ...(title ? { title } : {}),
    ...(link && link.length <= MAX_URL_LENGTH && isSafeUrl(link) ? { link } : {}),
  }
}

function toItem(item: Readonly<Record<string, unknown>>, nameKeys: readonly string[]): ReportItem {
  const text = (key: string): string => (typeof item[key] === 'string' ? clean(item[key]) : '')
  const name = nameKeys.map(text).find((value) => value !== '')
  // An item without any known field still shows up, as its JSON, rather than as an empty row.
  return { name: name ?? (text('path') === '' ? clean(JSON.stringify(item)) : ''), path: text('path'), hash: text('hash') }
}

// encodeURIComponent, plus the sub-delimiters it leaves alone (! ' ( ) * ~), which Markdown, Jira and
// Slack would read as markup or as the end of a link; it throws on a lone surrogate, hence wellFormed.
function encodePart(text: string): string {
  return encodeURIComponent(wellFormed(text)).replace(/[!'()*~]/g, (char) => '%' + char.charCodeAt(0).toString(16).toUpperCase())
}

function imageLink(aquaServer: string | undefined, registry: string, image: string): string | undefined {
  const server = (aquaServer ?? '').trim().replace(/\/+$/, '')
  if (server === '' || !isSafeUrl(server)) return undefined
  const link = `${server}/#/images/${encodePart(registry)}/${encodePart(image)}`
  return link.length <= MAX_URL_LENGTH ? link : undefined
}
