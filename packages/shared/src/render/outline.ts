import { SEVERITIES } from '../scan/model.js'
import type { SeverityCounts } from '../scan/model.js'
import { TEXT_CAPS, fitText, moreText } from './limits.js'
import type { BatchView, ReportView, Shown } from './limits.js'
import { groupBySeverity, severityLabel } from './report.js'
import type { ReportFinding, ReportItem } from './report.js'

/**
 * The order and wording of a report, shared by every markup renderer: each one maps these few block
 * kinds onto its own markup, so the section order (docs/postee-compatibility.md, messages), the
 * headings and the "and N more" lines are written once.
 */

/** One piece of text; `data` marks text from the scan (untrusted), `cap` its length limit (rule 5). */
export interface OutlineCell {
  readonly text: string
  readonly data: boolean
  readonly cap: number
  /** An http(s) URL the text links to. */
  readonly link?: string
}

/** A block of the outline. */
export type OutlineBlock =
  | { readonly kind: 'heading'; readonly level: 1 | 2 | 3 | 4; readonly cell: OutlineCell }
  | { readonly kind: 'facts'; readonly facts: readonly { readonly label: string; readonly value: OutlineCell }[] }
  | { readonly kind: 'table'; readonly columns: readonly string[]; readonly rows: readonly (readonly OutlineCell[])[] }
  | { readonly kind: 'note'; readonly text: string; readonly link?: string }
  | { readonly kind: 'link'; readonly text: string; readonly url: string }
  | { readonly kind: 'divider' }

/** The label of the link to the full report. */
export const FULL_REPORT_TEXT = 'Open the full report in Aqua'

/** Lays a batch out as blocks: one scan under its own title, several under the batch title. */
export function outlineBatch(batch: BatchView): OutlineBlock[] {
  const [first] = batch.views
  if (first !== undefined && batch.views.length === 1 && batch.omittedScans === 0) {
    return [heading(1, batch.title, true), ...outlineReport(first, 2)]
  }
  const blocks: OutlineBlock[] = [heading(1, batch.title, false)]
  batch.views.forEach((view, index) => {
    if (index > 0) blocks.push({ kind: 'divider' })
    blocks.push(heading(2, view.report.title, true), ...outlineReport(view, 3))
  })
  if (batch.omittedScans > 0) blocks.push({ kind: 'note', text: moreText(batch.omittedScans, 'scans') })
  return blocks
}

/** The header facts of a report: image, registry, and the flags that apply. */
export function headerFacts(view: ReportView): { readonly label: string; readonly value: OutlineCell }[] {
  const { report } = view
  const facts = [
    { label: 'Image', value: data(report.image, TEXT_CAPS.name) },
    { label: 'Registry', value: data(report.registry, TEXT_CAPS.name) },
  ]
  if (report.compliant !== undefined) facts.push({ label: 'Compliant', value: own(yesNo(report.compliant)) })
  if (report.malwareFound !== undefined) facts.push({ label: 'Malware found', value: own(yesNo(report.malwareFound)) })
  if (report.sensitiveDataFound !== undefined) {
    facts.push({ label: 'Sensitive data found', value: own(yesNo(report.sensitiveDataFound)) })
  }
  return facts
}

/** A cell's text cut to its cap (measured after escaping) and escaped for a target. */
export function cellText(cell: OutlineCell, escape: (text: string) => string = plain): string {
  return fitText(cell.text, cell.cap, escape)
}

// One function object, not a fresh arrow per call: fitText remembers its results per escape function.
function plain(text: string): string {
  return text
}

/** How a line-based target (Slack, legacy Teams) writes a table's parts. */
export interface LineStyle {
  readonly column: (name: string) => string
  readonly cell: (value: OutlineCell) => string
  readonly strong: (text: string) => string
  readonly bullet: string
}

/**
 * A table as lines, for targets without tables: a table of our own numbers (the severity counts)
 * reads best as "Label — Column: value · …" pairs; a table of data as a bold header line and one
 * line per row.
 */
export function tableLines(columns: readonly string[], rows: readonly (readonly OutlineCell[])[], style: LineStyle): string[] {
  if (rows.every((row) => row.every((value) => !value.data))) {
    return rows.map((row) => {
      const pairs = row.flatMap((value, i) => (columns[i] ? [`${style.column(columns[i])}: ${style.strong(style.cell(value))}`] : []))
      const label = row.find((_, i) => !columns[i])
      return label === undefined ? pairs.join(' · ') : `${style.cell(label)} — ${pairs.join(' · ')}`
    })
  }
  return [style.strong(columns.map(style.column).join(' · ')), ...rows.map((row) => style.bullet + row.map(style.cell).join(' · '))]
}

/** "critical 1, high 0, …": the counts in one line, for fallbacks and summaries. */
export function countsText(counts: SeverityCounts): string {
  return SEVERITIES.map((severity) => `${severity} ${counts[severity]}`).join(', ')
}

function outlineReport(view: ReportView, level: 2 | 3): OutlineBlock[] {
  const { report } = view
  const sub = (level + 1) as 3 | 4
  const blocks: OutlineBlock[] = [{ kind: 'facts', facts: headerFacts(view) }]
  if (report.diff !== undefined) {
    const { addedCounts, fixedCounts } = report.diff
    blocks.push(heading(level, 'Changes since the previous scan', false))
    blocks.push({
      kind: 'table',
      columns: ['', ...SEVERITIES.map(severityLabel)],
      rows: [countRow('New findings', addedCounts), countRow('Fixed findings', fixedCounts)],
    })
    blocks.push(...findingList(view.added, 'New findings', 'new findings', sub, report.link))
    blocks.push(...findingList(view.fixed, 'Fixed findings', 'fixed findings', sub, report.link))
  }
  blocks.push(heading(level, 'Severity counts', false))
  blocks.push({ kind: 'table', columns: SEVERITIES.map(severityLabel), rows: [SEVERITIES.map((s) => own(String(report.counts[s])))] })
  blocks.push(
    ...list(view.controls, 'Assurance controls', 'assurance controls', level, report.link, ['Control', 'Policy', 'Result'], (c) => [
      data(c.control, TEXT_CAPS.cell),
      data(c.policyName, TEXT_CAPS.cell),
      own(c.result),
    ]),
  )
  blocks.push(...vulnerabilities(view.vulnerabilities, level, report.link))
  blocks.push(...list(view.malware, 'Malware', 'malware items', level, report.link, ['Malware', 'Path', 'Hash'], itemRow))
  blocks.push(...list(view.sensitiveData, 'Sensitive data', 'sensitive data items', level, report.link, ['Type', 'Path', 'Hash'], itemRow))
  blocks.push(
    ...list(view.workloads, 'Kubernetes workloads', 'workloads', level, report.link, ['Namespace', 'Kind', 'Name', 'Container'], (w) =>
      [w.namespace, w.kind, w.name, w.container].map((text) => data(text, TEXT_CAPS.cell)),
    ),
  )
  if (report.link !== undefined) blocks.push({ kind: 'link', text: FULL_REPORT_TEXT, url: report.link })
  return blocks
}

function vulnerabilities(shown: Shown<ReportFinding>, level: 2 | 3, link: string | undefined): OutlineBlock[] {
  if (shown.rows.length + shown.omitted === 0) return []
  const blocks: OutlineBlock[] = [heading(level, 'Vulnerabilities', false)]
  const withTitle = shown.rows.some((f) => f.title !== undefined)
  for (const group of groupBySeverity(shown.rows)) {
    blocks.push(heading((level + 1) as 3 | 4, severityLabel(group.severity), false))
    blocks.push(findingTable(group.findings, false, withTitle))
  }
  return [...blocks, ...more(shown.omitted, 'vulnerabilities', link)]
}

function findingList(shown: Shown<ReportFinding>, title: string, noun: string, level: 3 | 4, link: string | undefined): OutlineBlock[] {
  if (shown.rows.length + shown.omitted === 0) return []
  const blocks: OutlineBlock[] = [heading(level, title, false)]
  if (shown.rows.length > 0)
    blocks.push(
      findingTable(
        shown.rows,
        true,
        shown.rows.some((f) => f.title !== undefined),
      ),
    )
  return [...blocks, ...more(shown.omitted, noun, link)]
}

function findingTable(findings: readonly ReportFinding[], withSeverity: boolean, withTitle: boolean): OutlineBlock {
  const columns = ['Vulnerability', 'Resource', 'Installed version', 'Fix version']
  return {
    kind: 'table',
    columns: [...(withSeverity ? ['Severity'] : []), ...columns, ...(withTitle ? ['Title'] : [])],
    rows: findings.map((f) => [
      ...(withSeverity ? [own(severityLabel(f.severity))] : []),
      { ...data(f.vulnerability, TEXT_CAPS.cell), ...(f.link !== undefined ? { link: f.link } : {}) },
      data(f.resource, TEXT_CAPS.cell),
      data(f.installedVersion, TEXT_CAPS.cell),
      data(f.fixVersion, TEXT_CAPS.cell),
      ...(withTitle ? [data(f.title ?? '', TEXT_CAPS.prose)] : []),
    ]),
  }
}

function list<T>(
  shown: Shown<T>,
  title: string,
  noun: string,
  level: 2 | 3,
  link: string | undefined,
  columns: readonly string[],
  row: (item: T) => OutlineCell[],
): OutlineBlock[] {
  if (shown.rows.length + shown.omitted === 0) return []
  const blocks: OutlineBlock[] = [heading(level, title, false)]
  if (shown.rows.length > 0) blocks.push({ kind: 'table', columns, rows: shown.rows.map(row) })
  return [...blocks, ...more(shown.omitted, noun, link)]
}

function more(omitted: number, noun: string, link: string | undefined): OutlineBlock[] {
  if (omitted === 0) return []
  return [{ kind: 'note', text: moreText(omitted, noun), ...(link !== undefined ? { link } : {}) }]
}

function itemRow(item: ReportItem): OutlineCell[] {
  return [data(item.name, TEXT_CAPS.cell), data(item.path, TEXT_CAPS.cell), data(item.hash, TEXT_CAPS.cell)]
}

function countRow(label: string, counts: SeverityCounts): OutlineCell[] {
  return [own(label), ...SEVERITIES.map((severity) => own(String(counts[severity])))]
}

function heading(level: 1 | 2 | 3 | 4, text: string, isData: boolean): OutlineBlock {
  return { kind: 'heading', level, cell: isData ? data(text, TEXT_CAPS.name) : own(text) }
}

function data(text: string, cap: number): OutlineCell {
  return { text, data: true, cap }
}

function own(text: string): OutlineCell {
  return { text, data: false, cap: TEXT_CAPS.name }
}

function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No'
}
